/// The parts of an HTTP request that SigV4 signs, as they are (or will be) sent on the wire.
public struct SigV4Request: Sendable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The path exactly as sent on the wire (percent-encoded, without the query), e.g. `/bucket/a%20key`.
    public var path: String
    /// The query string exactly as sent on the wire, without the leading `?`; empty when there is none.
    public var query: String
    /// The headers in the order received; names in any case; repeated names allowed.
    public var headers: [(name: String, value: String)]
    /// The hashed payload line of the canonical request: a lower-case hex SHA-256 of the body,
    /// or one of the literals in ``SigV4PayloadHash``.
    public var payloadHash: String

    /// Creates a request from its wire parts.
    public init(
        method: String,
        path: String,
        query: String = "",
        headers: [(name: String, value: String)],
        payloadHash: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// Creates a request whose payload hash is taken from its `x-amz-content-sha256` header
    /// (as S3 clients send it), or `UNSIGNED-PAYLOAD` when that header is absent.
    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = Self.firstValue(of: "x-amz-content-sha256", in: headers)?
            .trimmingSigV4Whitespace() ?? SigV4PayloadHash.unsignedPayload
    }

    /// Creates a request from a wire request target (`/path?query`), splitting it at the first `?`.
    public init(method: String, target: String, headers: [(name: String, value: String)], payloadHash: String) {
        if let mark = target.firstIndex(of: "?") {
            self.init(
                method: method,
                path: String(target[..<mark]),
                query: String(target[target.index(after: mark)...]),
                headers: headers,
                payloadHash: payloadHash)
        } else {
            self.init(method: method, path: target, query: "", headers: headers, payloadHash: payloadHash)
        }
    }

    /// The first value of the header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        Self.firstValue(of: name, in: headers)
    }

    /// All values of the header `name` (case-insensitive), in the order received.
    public func headerValues(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// Returns a copy with every header named `name` (case-insensitive) removed.
    public func removingHeader(_ name: String) -> SigV4Request {
        var copy = self
        let wanted = name.lowercased()
        copy.headers.removeAll { $0.name.lowercased() == wanted }
        return copy
    }

    /// Returns a copy with the header `name` set to `value`, replacing any previous values.
    public func settingHeader(_ name: String, _ value: String) -> SigV4Request {
        var copy = removingHeader(name)
        copy.headers.append((name: name, value: value))
        return copy
    }

    static func firstValue(of name: String, in headers: [(name: String, value: String)]) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, CRs and LFs.
    func trimmingSigV4Whitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, SigV4Canonicalizer.isWhitespace(bytes[start]) { start += 1 }
        while end > start, SigV4Canonicalizer.isWhitespace(bytes[end - 1]) { end -= 1 }
        if start == 0 && end == bytes.count { return self }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
