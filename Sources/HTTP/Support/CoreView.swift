import Appliance
import CoreEngine
import Hummingbird

/// The JSON shape of a Core in API responses.
enum CoreView {
    static func json(_ core: Core, includeIR: Bool = true) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(core.id),
            "slug": .string(core.slug),
            "name": .string(core.name),
            "status": .string(core.status.rawValue),
            "status_reason": core.statusReason.map(JSONValue.string) ?? .null,
            "legal_actions": .array(Lifecycle.legalActions(from: core.status).map { .string($0.rawValue) }),
            "ir_version": core.irVersion.map(JSONValue.string) ?? .null,
            "ir_revision": .integer(core.irRevision),
            "runtime_config": core.runtimeConfig,
            "identity_mode": .string(core.identityMode.rawValue),
            "plugins": .array(core.plugins.map(JSONValue.string)),
            "avatar_url": core.avatarURL.map(JSONValue.string) ?? .null,
            "created_at": .string(core.createdAt),
            "updated_at": .string(core.updatedAt),
            "version": .integer(core.version),
        ]
        if includeIR { fields["ir"] = core.ir }
        return .object(fields)
    }

    static func etag(_ core: Core) -> String { "\"\(core.version)\"" }

    static func response(_ core: Core, status: HTTPResponse.Status = .ok, extraHeaders: HTTPFields = [:]) -> Response {
        var headers = extraHeaders
        headers[.eTag] = etag(core)
        return JSONBody.response(json(core), status: status, headers: headers)
    }
}

/// Conditional request headers (RFC 9110 §13).
enum Preconditions {
    /// The version named by `If-Match: "N"` (or `W/"N"`); nil without the header, for an empty
    /// one or for `*` (any current version matches); 400 when it names no version.
    static func ifMatchVersion(_ request: Request) throws -> Int64? {
        // An empty If-Match states no condition: it is treated as absent.
        guard let text = request.headers[.ifMatch]?.trimmingOptionalWhitespace, text != "*", !text.isEmpty else { return nil }
        guard let version = version(in: text) else {
            throw ApplianceError(.badRequest, code: "invalid_if_match", "If-Match must be an ETag this API served, such as \"3\", or *")
        }
        return version
    }

    /// True when `If-None-Match` names the current version (weak comparison), or is `*`.
    static func ifNoneMatchHits(_ request: Request, version: Int64) -> Bool {
        guard let text = request.headers[.ifNoneMatch] else { return false }
        return text.split(separator: ",").contains { tag in
            let tag = tag.trimmingOptionalWhitespace
            return tag == "*" || self.version(in: tag) == version
        }
    }

    /// `"N"` or `W/"N"` → N.
    private static func version(in tag: Substring) -> Int64? {
        var text = tag
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        guard text.count >= 3, text.first == "\"", text.last == "\"" else { return nil }
        return Int64(text.dropFirst().dropLast())
    }
}

/// Cursor pagination: opaque cursors, bounded page sizes.
enum Pagination {
    static func limit(_ text: String?, default defaultValue: Int, max: Int) throws -> Int {
        guard let text else { return defaultValue }
        guard let value = Int(text), (1...max).contains(value) else {
            throw ApplianceError(.badRequest, code: "invalid_query", "limit must be an integer from 1 to \(max)")
        }
        return value
    }

    static func encodeCursor(_ lastID: String) -> String {
        Base64URL.encode(lastID.utf8)
    }

    static func decodeCursor(_ text: String?) throws -> String? {
        guard let text else { return nil }
        // Any base64url text of at most 96 bytes is a position (the lists compare it with ids);
        // one this API did not serve just starts somewhere. /openapi.json states the same rule.
        guard let bytes = Base64URL.decode(text), !bytes.isEmpty, bytes.count <= 96 else {
            throw ApplianceError(.badRequest, code: "invalid_cursor", "cursor is not one this API served; start again without it")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
