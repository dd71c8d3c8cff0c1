/// How the path of a request becomes the canonical URI.
public enum SigV4URIMode: Sendable, Equatable {
    /// Amazon S3: the path is decoded, then each byte outside the unreserved set (except `/`) is
    /// encoded once. No dot-segment removal, no merging of `//`: `a/../b` and `a//b` are distinct keys.
    case s3
    /// Every other service (and the AWS SigV4 test suite): dot segments and empty segments are removed,
    /// then the path as sent is encoded again, so an already-escaped `%20` becomes `%2520`.
    case generic
}

/// The canonical forms of the parts of a request: URI, query, headers, and the canonical request.
public enum SigV4Canonicalizer {
    /// Headers a signer never signs: set or changed by proxies and HTTP stacks after signing.
    public static let unsignableHeaders: Set<String> = [
        "authorization", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id", "connection",
    ]

    /// The canonical URI of a raw (wire) path.
    public static func canonicalURI(_ rawPath: String, mode: SigV4URIMode) -> String {
        guard !rawPath.isEmpty else { return "/" }
        switch mode {
        case .s3:
            let decoded = SigV4Encoding.percentDecode(Array(rawPath.utf8), plusAsSpace: false)
            return SigV4Encoding.encode(decoded, keepSlash: true)
        case .generic:
            return SigV4Encoding.encode(removeDotSegments(rawPath).utf8, keepSlash: true)
        }
    }

    /// RFC 3986 dot-segment removal, also dropping empty segments (`//`), as the generic services expect.
    /// A trailing slash is kept when anything is left before it.
    public static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !output.isEmpty { output.removeLast() }
            default: output.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = (path.hasSuffix("/") && !output.isEmpty) ? "/" : ""
        let joined = output.joined(separator: "/")
        let result = leading + joined + trailing
        return result.isEmpty ? "/" : result
    }

    /// The canonical query string: each `name=value` pair decoded, re-encoded with the unreserved set,
    /// sorted by name then value (byte order); a pair without `=` gets an empty value (`name=`).
    /// Names in `excluding` (exact, after decoding) are left out, e.g. `X-Amz-Signature` of a presigned URL.
    public static func canonicalQuery(_ rawQuery: String, excluding: Set<String> = []) -> String {
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        for (name, value) in decodeQuery(rawQuery) {
            if !excluding.isEmpty, excluding.contains(String(decoding: name, as: UTF8.self)) { continue }
            pairs.append((
                Array(SigV4Encoding.encode(name, keepSlash: false).utf8),
                Array(SigV4Encoding.encode(value, keepSlash: false).utf8)
            ))
        }
        pairs.sort { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.lexicographicallyPrecedes(rhs.name) }
            return lhs.value.lexicographicallyPrecedes(rhs.value)
        }
        var out: [UInt8] = []
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out += pair.name
            out.append(UInt8(ascii: "="))
            out += pair.value
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The decoded `(name, value)` byte pairs of a raw query string, in order; empty pieces are skipped.
    static func decodeQuery(_ rawQuery: String) -> [(name: [UInt8], value: [UInt8])] {
        var result: [(name: [UInt8], value: [UInt8])] = []
        for piece in Array(rawQuery.utf8).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                result.append((
                    SigV4Encoding.percentDecode(piece[piece.startIndex..<equals], plusAsSpace: true),
                    SigV4Encoding.percentDecode(piece[(equals + 1)...], plusAsSpace: true)
                ))
            } else {
                result.append((SigV4Encoding.percentDecode(piece, plusAsSpace: true), []))
            }
        }
        return result
    }

    /// The decoded query parameters as strings, in order (repeated names kept).
    public static func queryParameters(_ rawQuery: String) -> [(name: String, value: String)] {
        decodeQuery(rawQuery).map {
            (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self))
        }
    }

    /// A header value in canonical form: leading and trailing whitespace removed, and every inner run
    /// of spaces, tabs and line breaks (obsolete line folding) replaced by one space.
    public static func canonicalHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for byte in value.utf8 {
            if isWhitespace(byte) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The names a signer signs for `headers`: every header except ``unsignableHeaders``,
    /// lower-cased, de-duplicated and sorted.
    public static func signableHeaderNames(_ headers: [(name: String, value: String)]) -> [String] {
        let names = Set(headers.map { $0.name.lowercased() }).subtracting(unsignableHeaders)
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The canonical headers block: one `name:value\n` line per name of `signedHeaders`, in that order,
    /// repeated headers joined with `,` in the order received.
    /// - Throws: ``SigV4Error/missingSignedHeader(_:)`` when a signed name has no header.
    public static func canonicalHeaders(
        _ headers: [(name: String, value: String)],
        signedHeaders: [String]
    ) throws(SigV4Error) -> String {
        var grouped: [String: [String]] = [:]
        for header in headers {
            grouped[header.name.lowercased(), default: []].append(canonicalHeaderValue(header.value))
        }
        var out = ""
        for name in signedHeaders {
            guard let values = grouped[name] else { throw .missingSignedHeader(name) }
            out += name
            out += ":"
            out += values.joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// The canonical request:
    /// `method \n URI \n query \n headers \n signedHeaders \n payloadHash`.
    /// - Parameters:
    ///   - signedHeaders: lower-case names in the order they are listed in `SignedHeaders=`.
    ///   - excludingQuery: query parameter names left out (the signature of a presigned URL).
    /// - Throws: ``SigV4Error/missingSignedHeader(_:)`` when a signed name has no header.
    public static func canonicalRequest(
        _ request: SigV4Request,
        signedHeaders: [String],
        mode: SigV4URIMode,
        excludingQuery: Set<String> = []
    ) throws(SigV4Error) -> String {
        let headerBlock = try canonicalHeaders(request.headers, signedHeaders: signedHeaders)
        return [
            request.method,
            canonicalURI(request.path, mode: mode),
            canonicalQuery(request.query, excluding: excludingQuery),
            headerBlock,
            signedHeaders.joined(separator: ";"),
            request.payloadHash,
        ].joined(separator: "\n")
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }
}
