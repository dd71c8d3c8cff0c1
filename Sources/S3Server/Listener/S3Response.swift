import Hummingbird

/// Builders for the responses the operations return. Every body has its exact `Content-Length`.
enum S3Response {
    /// An XML document with status `status`.
    static func xml(_ document: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/xml"
        headers[.contentLength] = String(document.count)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: document)))
    }

    /// A response without a body (`Content-Length: 0` unless `headers` already set one, as HEAD does).
    static func empty(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        if headers[.contentLength] == nil, status != .noContent, status != .notModified {
            headers[.contentLength] = "0"
        }
        return Response(status: status, headers: headers, body: ResponseBody())
    }

    /// An ETag as S3 writes it in headers and XML: in double quotes.
    static func quotedETag(_ etag: String) -> String {
        etag.hasPrefix("\"") ? etag : "\"\(etag)\""
    }
}
