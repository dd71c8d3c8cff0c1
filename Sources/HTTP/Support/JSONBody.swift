import Appliance
import CoreEngine
import Hummingbird
import NIOCore

/// Reading JSON request bodies and writing JSON responses.
enum JSONBody {
    /// Reads the body as JSON, whatever its declared content type (curl's `-d` says form data):
    /// 413 past `limit` bytes, 400 for bytes that are not UTF-8 JSON. An empty body reads as `empty`.
    static func read(_ request: Request, limit: Int, empty: JSONValue? = nil) async throws -> JSONValue {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw tooLarge(limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        }
        if buffer.readableBytes == 0, let empty { return empty }
        do {
            return try JSONValue.parse(buffer.readableBytesView)
        } catch {
            throw ApplianceError(.badRequest, code: error == .notUTF8 ? "invalid_encoding" : "malformed_json", error.description)
        }
    }

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.encodedBytes())))
    }

    private static func tooLarge(_ limit: Int) -> ApplianceError {
        ApplianceError(.payloadTooLarge, code: "payload_too_large", "the request body exceeds \(limit) bytes (http.max_body_bytes)",
                       details: .object(["limit": .integer(Int64(limit))]))
    }
}
