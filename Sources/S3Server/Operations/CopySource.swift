/// The object named by `x-amz-copy-source`: `/bucket/key` or `bucket/key`, URL-encoded, with an
/// optional `?versionId=…` (ignored: there is no versioning).
struct CopySource: Sendable, Equatable {
    var bucket: String
    var key: String

    init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Reads the header value; throws ``S3Error`` `InvalidArgument` when it names no bucket and key.
    init(header: String) throws(S3Error) {
        var text = Substring(header.trimmingXMLWhitespace())
        if let mark = text.firstIndex(of: "?") { text = text[..<mark] }
        if text.first == "/" { text = text.dropFirst() }
        guard let slash = text.firstIndex(of: "/") else { throw Self.invalid() }
        let bucketPart = text[..<slash]
        let keyPart = text[text.index(after: slash)...]
        guard let bucket = PercentDecoding.decode(bucketPart, plusAsSpace: false),
            let key = PercentDecoding.decode(keyPart, plusAsSpace: false),
            !bucket.isEmpty, !key.isEmpty
        else { throw Self.invalid() }
        try S3Call.validateKey(key)
        self.bucket = bucket
        self.key = key
    }

    private static func invalid() -> S3Error {
        S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
    }
}
