import Foundation
import Hummingbird
import Storage

/// CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
/// ListMultipartUploads.
extension S3Handler {
    func createMultipartUpload(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let key = try call.key()
        let attributes = try ObjectAttributesReader.attributes(from: call.headers)
        let upload = try await store.createMultipartUpload(bucket: bucket, key: key, tenant: call.tenant, attributes: attributes)
        var xml = XMLWriter()
        xml.element("InitiateMultipartUploadResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("Bucket", bucket)
            xml.element("Key", key)
            xml.element("UploadId", upload.uploadID)
        }
        return S3Response.xml(xml.finish())
    }

    func uploadPart(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let key = try call.key()
        let (uploadID, partNumber) = try Self.partParameters(call.query)
        // Refuse before receiving the body when the upload is not there.
        _ = try await store.listParts(bucket: bucket, key: key, tenant: call.tenant, uploadID: uploadID, after: 10_000, maxParts: 1)
        let staging = try await stageBody(call, limit: partLimit)
        let part: PartInfo
        do {
            part = try await store.uploadPart(
                bucket: bucket, key: key, tenant: call.tenant, uploadID: uploadID, partNumber: partNumber, staged: staging)
        } catch {
            staging.discard()
            throw error
        }
        return S3Response.empty(headers: [.eTag: S3Response.quotedETag(part.etag)])
    }

    func completeMultipartUpload(_ call: S3Call) async throws -> Response {
        try Self.refuseConditionalWrite(call)
        let bucket = try call.bucket()
        let key = try call.key()
        let uploadID = try Self.uploadID(call.query)
        let parts = try RequestDocuments.completedParts(try await call.collectBody(limit: 2 << 20, checksumHeader: false))
        let info = try await store.completeMultipartUpload(bucket: bucket, key: key, tenant: call.tenant, uploadID: uploadID, parts: parts)
        let host = call.request.head.authority ?? configuration.rootDomain
        var xml = XMLWriter()
        xml.element("CompleteMultipartUploadResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("Location", "http://\(host)/\(URLEncoding.encode(bucket))/\(URLEncoding.encode(key))")
            xml.element("Bucket", bucket)
            xml.element("Key", key)
            xml.element("ETag", S3Response.quotedETag(info.etag))
        }
        return S3Response.xml(xml.finish())
    }

    func abortMultipartUpload(_ call: S3Call) async throws -> Response {
        try await store.abortMultipartUpload(
            bucket: try call.bucket(), key: try call.key(), tenant: call.tenant, uploadID: try Self.uploadID(call.query))
        return S3Response.empty(status: .noContent)
    }

    func listParts(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let key = try call.key()
        let uploadID = try Self.uploadID(call.query)
        let marker = try ListParameters.integer(call.query, "part-number-marker", default: 0, range: 0...10_000)
        let maxParts = min(try ListParameters.integer(call.query, "max-parts", default: 1000, range: 0...Int.max), 1000)
        // Asked for even with max-parts=0: it checks that the upload exists and is the caller's.
        let listed = try await store.listParts(bucket: bucket, key: key, tenant: call.tenant, uploadID: uploadID, after: marker, maxParts: max(maxParts, 1))
        let (parts, isTruncated) = maxParts == 0 ? ([], !listed.parts.isEmpty) : listed
        var xml = XMLWriter()
        xml.element("ListPartsResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("Bucket", bucket)
            xml.element("Key", key)
            xml.element("UploadId", uploadID)
            xml.writeOwner(call.tenant, element: "Initiator")
            xml.writeOwner(call.tenant)
            xml.element("StorageClass", "STANDARD")
            xml.element("PartNumberMarker", marker)
            xml.element("NextPartNumberMarker", parts.last?.number ?? marker)
            xml.element("MaxParts", maxParts)
            xml.element("IsTruncated", isTruncated)
            for part in parts {
                xml.element("Part") { xml in
                    xml.element("PartNumber", part.number)
                    xml.element("LastModified", S3Timestamps.iso8601(part.lastModified))
                    xml.element("ETag", S3Response.quotedETag(part.etag))
                    xml.element("Size", part.size)
                }
            }
        }
        return S3Response.xml(xml.finish())
    }

    func listMultipartUploads(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let prefix = call.query["prefix"] ?? ""
        let delimiter = call.query["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        let keyMarker = call.query["key-marker"].flatMap { $0.isEmpty ? nil : $0 }
        let uploadIDMarker = call.query["upload-id-marker"].flatMap { $0.isEmpty ? nil : $0 }
        let maxUploads = min(try ListParameters.integer(call.query, "max-uploads", default: 1000, range: 0...Int.max), 1000)
        let urlEncoded = try ListParameters.urlEncoding(call.query)
        func encode(_ text: String) -> String { urlEncoded ? URLEncoding.encode(text) : text }

        // Pages of the store are read until one more entry than wanted is found (common prefixes
        // can fold many uploads into one entry). A common prefix at or before the key marker was
        // listed on an earlier page.
        var uploads: [MultipartUploadInfo] = []
        var commonPrefixes: [String] = []
        var isTruncated = false
        var nextKeyMarker: String?
        var nextUploadIDMarker: String?
        var cursor: (key: String, uploadID: String?)? = keyMarker.map { ($0, uploadIDMarker) }
        paging: while true {
            let page = try await store.listMultipartUploads(
                bucket: bucket, tenant: call.tenant, prefix: prefix, afterKey: cursor?.key, afterUploadID: cursor?.uploadID, maxUploads: 1000)
            for upload in page {
                cursor = (upload.key, upload.uploadID)
                if let delimiter, let common = ListParameters.commonPrefix(of: upload.key, prefix: prefix, delimiter: delimiter) {
                    if commonPrefixes.last == common { continue }
                    if let keyMarker, !keyMarker.utf8.lexicographicallyPrecedes(common.utf8) { continue }
                    if uploads.count + commonPrefixes.count == maxUploads { isTruncated = true; break paging }
                    commonPrefixes.append(common)
                    (nextKeyMarker, nextUploadIDMarker) = (common, nil)
                    continue
                }
                if uploads.count + commonPrefixes.count == maxUploads { isTruncated = true; break paging }
                uploads.append(upload)
                (nextKeyMarker, nextUploadIDMarker) = (upload.key, upload.uploadID)
            }
            if page.count < 1000 { break }
        }

        var xml = XMLWriter()
        xml.element("ListMultipartUploadsResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("Bucket", bucket)
            xml.element("KeyMarker", encode(keyMarker ?? ""))
            xml.element("UploadIdMarker", uploadIDMarker ?? "")
            if isTruncated, let nextKeyMarker {
                xml.element("NextKeyMarker", encode(nextKeyMarker))
                xml.element("NextUploadIdMarker", nextUploadIDMarker ?? "")
            }
            xml.element("Prefix", encode(prefix))
            if let delimiter { xml.element("Delimiter", encode(delimiter)) }
            xml.element("MaxUploads", maxUploads)
            if urlEncoded { xml.element("EncodingType", "url") }
            xml.element("IsTruncated", isTruncated)
            for upload in uploads {
                xml.element("Upload") { xml in
                    xml.element("Key", encode(upload.key))
                    xml.element("UploadId", upload.uploadID)
                    xml.writeOwner(call.tenant, element: "Initiator")
                    xml.writeOwner(call.tenant)
                    xml.element("StorageClass", "STANDARD")
                    xml.element("Initiated", S3Timestamps.iso8601(upload.initiatedAt))
                }
            }
            for common in commonPrefixes {
                xml.element("CommonPrefixes") { $0.element("Prefix", encode(common)) }
            }
        }
        return S3Response.xml(xml.finish())
    }

    /// `uploadId` of the query.
    static func uploadID(_ query: QueryParameters) throws(S3Error) -> String {
        guard let uploadID = query["uploadId"], !uploadID.isEmpty else { throw S3Error.noSuchUpload("") }
        return uploadID
    }

    /// `uploadId` and `partNumber` (1...10,000) of the query.
    static func partParameters(_ query: QueryParameters) throws(S3Error) -> (uploadID: String, partNumber: Int) {
        let uploadID = try uploadID(query)
        guard let text = query["partNumber"], let number = Int(text), (1...10_000).contains(number) else {
            throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive")
        }
        return (uploadID, number)
    }
}
