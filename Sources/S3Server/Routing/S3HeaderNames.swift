import HTTPTypes

/// The S3 header names the listener reads and writes.
extension HTTPField.Name {
    static let amzRequestID = HTTPField.Name("x-amz-request-id")!
    static let amzID2 = HTTPField.Name("x-amz-id-2")!
    static let amzContentSHA256 = HTTPField.Name("x-amz-content-sha256")!
    static let amzDate = HTTPField.Name("x-amz-date")!
    static let amzDecodedContentLength = HTTPField.Name("x-amz-decoded-content-length")!
    static let amzCopySource = HTTPField.Name("x-amz-copy-source")!
    static let amzCopySourceRange = HTTPField.Name("x-amz-copy-source-range")!
    static let amzCopySourceIfMatch = HTTPField.Name("x-amz-copy-source-if-match")!
    static let amzCopySourceIfNoneMatch = HTTPField.Name("x-amz-copy-source-if-none-match")!
    static let amzCopySourceIfModifiedSince = HTTPField.Name("x-amz-copy-source-if-modified-since")!
    static let amzCopySourceIfUnmodifiedSince = HTTPField.Name("x-amz-copy-source-if-unmodified-since")!
    static let amzMetadataDirective = HTTPField.Name("x-amz-metadata-directive")!
    static let amzMPPartsCount = HTTPField.Name("x-amz-mp-parts-count")!
    static let amzStorageClass = HTTPField.Name("x-amz-storage-class")!
    static let amzBucketRegion = HTTPField.Name("x-amz-bucket-region")!
    static let amzTrailer = HTTPField.Name("x-amz-trailer")!
    static let contentMD5 = HTTPField.Name("Content-MD5")!
}
