import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// PutObject, GetObject, HeadObject, DeleteObject.
extension S3Handler {
    func putObject(_ call: S3Call) async throws -> Response {
        try Self.refuseConditionalWrite(call)
        let bucket = try call.bucket()
        let key = try call.key()
        let attributes = try ObjectAttributesReader.attributes(from: call.headers)
        // Refuse before receiving the body when the bucket is not there (or not the caller's).
        _ = try await store.bucket(bucket, tenant: call.tenant)
        let staging = try await stageBody(call, limit: objectLimit)
        let info: ObjectInfo
        do {
            info = try await store.putObject(bucket: bucket, key: key, tenant: call.tenant, staged: staging, attributes: attributes)
        } catch {
            staging.discard()
            throw error
        }
        call.logger.debug("object stored", metadata: ["bucket": "\(bucket)", "size": "\(info.size)"])
        return S3Response.empty(headers: [.eTag: S3Response.quotedETag(info.etag)])
    }

    /// Conditional writes (`If-None-Match: *` as lock files use, `If-Match`) are not implemented:
    /// refusing them is safe, ignoring them would let two writers both believe they won.
    static func refuseConditionalWrite(_ call: S3Call) throws {
        if call.headers[.ifNoneMatch] != nil || call.headers[.ifMatch] != nil {
            throw S3Error.notImplemented("Conditional writes (If-None-Match, If-Match on PUT or CompleteMultipartUpload) are not implemented.")
        }
    }

    /// GetObject, or HeadObject when `head` (same headers, no body).
    func getObject(_ call: S3Call, head: Bool) async throws -> Response {
        // An overwrite may unlink the old file between the lookup and the open: when the key
        // still exists, look it up again rather than answer NoSuchKey.
        for _ in 0..<2 {
            do {
                return try await getObjectOnce(call, head: head)
            } catch let error as S3Error where error.code == "NoSuchKey" && !head {
                guard (try? await store.headObject(bucket: try call.bucket(), key: try call.key(), tenant: call.tenant)) != nil else { throw error }
            }
        }
        return try await getObjectOnce(call, head: head)
    }

    private func getObjectOnce(_ call: S3Call, head: Bool) async throws -> Response {
        let bucket = try call.bucket()
        let key = try call.key()
        let info: ObjectInfo
        var content: ObjectContent?
        if head {
            info = try await store.headObject(bucket: bucket, key: key, tenant: call.tenant)
        } else {
            let object = try await store.getObject(bucket: bucket, key: key, tenant: call.tenant)
            info = object.info
            content = object.content
        }

        var headers = Self.objectHeaders(info)
        switch Conditions(readHeaders: call.headers).evaluate(etag: info.etag, lastModified: info.lastModified) {
        case .proceed: break
        case .notModified:
            var notModified: HTTPFields = [:]
            notModified[.eTag] = headers[.eTag]
            notModified[.lastModified] = headers[.lastModified]
            return S3Response.empty(status: .notModified, headers: notModified)
        case .preconditionFailed(let condition):
            throw S3Error.preconditionFailed(condition)
        }

        var range = ByteRange(first: 0, last: info.size - 1)
        var status = HTTPResponse.Status.ok
        if let partText = call.query["partNumber"] {
            // Only the whole of a single-part object is part 1; parts of multipart objects are not indexed.
            guard let part = Int(partText), (1...10_000).contains(part) else {
                throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive")
            }
            guard info.partCount == nil, part == 1 else {
                throw S3Error.notImplemented("GetObject by partNumber is implemented only for part 1 of a single-part object.")
            }
        } else if let rangeHeader = call.headers[.range], let spec = ByteRangeSpec(header: rangeHeader) {
            range = try spec.resolve(size: info.size)
            status = .partialContent
            headers[.contentRange] = range.contentRange(size: info.size)
        }
        headers[.contentLength] = String(range.count)
        if !head { Self.applyResponseOverrides(call.query, to: &headers) }

        guard !head, let content else { return S3Response.empty(status: status, headers: headers) }
        let body = try ObjectBodyStreamer.body(content: content, range: range, key: key)
        return Response(status: status, headers: headers, body: body)
    }

    func deleteObject(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let key = try call.key()
        try await store.deleteObject(bucket: bucket, key: key, tenant: call.tenant)
        return S3Response.empty(status: .noContent)
    }

    /// The headers describing a stored object: type, ETag, Last-Modified, metadata.
    static func objectHeaders(_ info: ObjectInfo) -> HTTPFields {
        var headers: HTTPFields = [:]
        headers[.contentType] = info.contentType ?? "binary/octet-stream"
        headers[.eTag] = S3Response.quotedETag(info.etag)
        headers[.lastModified] = S3Timestamps.rfc1123(info.lastModified)
        headers[.acceptRanges] = "bytes"
        for (name, value) in info.metadata.sorted(by: { $0.key < $1.key }) {
            guard let field = HTTPField.Name(ObjectAttributesReader.metaPrefix + name) else { continue }
            headers.append(HTTPField(name: field, value: value))
        }
        if let parts = info.partCount { headers[.amzMPPartsCount] = String(parts) }
        return headers
    }

    /// The `response-*` query parameters of a GetObject, which replace response headers.
    static let responseOverrides: [(parameter: String, header: HTTPField.Name)] = [
        ("response-content-type", .contentType),
        ("response-content-language", .contentLanguage),
        ("response-expires", .expires),
        ("response-cache-control", .cacheControl),
        ("response-content-disposition", .contentDisposition),
        ("response-content-encoding", .contentEncoding),
    ]

    static func applyResponseOverrides(_ query: QueryParameters, to headers: inout HTTPFields) {
        for (parameter, header) in responseOverrides {
            if let value = query[parameter] { headers[header] = value }
        }
    }
}
