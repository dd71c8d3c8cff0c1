import Foundation
import Hummingbird
import Storage

/// CopyObject and UploadPartCopy.
extension S3Handler {
    func copyObject(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let key = try call.key()
        let source = try CopySource(header: call.headers[.amzCopySource] ?? "")
        let sourceInfo = try await store.headObject(bucket: source.bucket, key: source.key, tenant: call.tenant)
        try Self.checkCopyConditions(call.headers, source: sourceInfo)

        let attributes: ObjectAttributes?
        switch call.headers[.amzMetadataDirective]?.uppercased() {
        case nil, "COPY":
            guard source.bucket != bucket || source.key != key else {
                throw S3Error.invalidRequest(
                    "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
            }
            attributes = nil
        case "REPLACE":
            attributes = try ObjectAttributesReader.attributes(from: call.headers)
        case let other?:
            throw S3Error.invalidArgument("Unknown metadata directive '\(other)'")
        }
        guard sourceInfo.size <= objectLimit else { throw S3Error.entityTooLarge(limit: objectLimit) }
        let info = try await store.copyObject(
            fromBucket: source.bucket, fromKey: source.key, toBucket: bucket, toKey: key, tenant: call.tenant, attributes: attributes)
        var xml = XMLWriter()
        xml.element("CopyObjectResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("LastModified", S3Timestamps.iso8601(info.lastModified))
            xml.element("ETag", S3Response.quotedETag(info.etag))
        }
        return S3Response.xml(xml.finish())
    }

    func uploadPartCopy(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let key = try call.key()
        let (uploadID, partNumber) = try Self.partParameters(call.query)
        let source = try CopySource(header: call.headers[.amzCopySource] ?? "")
        let object = try await store.getObject(bucket: source.bucket, key: source.key, tenant: call.tenant)
        try Self.checkCopyConditions(call.headers, source: object.info)
        let range: ByteRange =
            if let header = call.headers[.amzCopySourceRange] {
                try ByteRange.copySourceRange(header, size: object.info.size)
            } else {
                ByteRange(first: 0, last: object.info.size - 1)
            }
        guard range.count <= partLimit else { throw S3Error.entityTooLarge(limit: partLimit) }
        // Fail before copying when the upload is not there.
        _ = try await store.listParts(bucket: bucket, key: key, tenant: call.tenant, uploadID: uploadID, after: 10_000, maxParts: 1)

        let staging = try store.stage(limit: max(range.count, 0))
        let part: PartInfo
        do {
            try await Self.copy(object.content, range: range, key: source.key, into: staging)
            part = try await store.uploadPart(
                bucket: bucket, key: key, tenant: call.tenant, uploadID: uploadID, partNumber: partNumber, staged: staging)
        } catch {
            staging.discard()
            throw error
        }
        var xml = XMLWriter()
        xml.element("CopyPartResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("LastModified", S3Timestamps.iso8601(part.lastModified))
            xml.element("ETag", S3Response.quotedETag(part.etag))
        }
        return S3Response.xml(xml.finish())
    }

    /// Applies the `x-amz-copy-source-if-*` headers to the source (412 when one fails).
    static func checkCopyConditions(_ headers: HTTPFields, source: ObjectInfo) throws(S3Error) {
        if case .preconditionFailed(let condition) = Conditions(copySourceHeaders: headers).evaluateForCopy(
            etag: source.etag, lastModified: source.lastModified)
        {
            throw S3Error.preconditionFailed(condition)
        }
    }

    /// Copies `range` of an object's content into `staging`, a chunk at a time.
    static func copy(_ content: ObjectContent, range: ByteRange, key: String, into staging: ObjectStaging) async throws {
        guard range.count > 0 else { return }
        switch content {
        case .bytes(let bytes):
            guard range.first >= 0, range.last < Int64(bytes.count) else { throw S3Error.internalError() }
            try await staging.append(Array(bytes[Int(range.first)...Int(range.last)]))
        case .file(let path, let offset):
            let file = try ObjectFile(path: path, key: key)
            var position = offset + range.first
            var remaining = range.count
            while remaining > 0 {
                let count = Int(min(Int64(ObjectBodyStreamer.chunkSize), remaining))
                let buffer = try await file.read(at: position, count: count)
                try await staging.append(Array(buffer.readableBytesView))
                position += Int64(count)
                remaining -= Int64(count)
            }
        }
    }
}
