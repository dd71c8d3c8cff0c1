/// How the bucket was named in a request.
enum AddressingStyle: Sendable, Equatable {
    /// `/bucket/key` on any host.
    case path
    /// `bucket.<root domain>` in the Host header, `/key` as the path.
    case virtualHosted
}

/// The bucket, key and query of a request, read once from the raw request target and Host.
///
/// The path is percent-decoded exactly once: `%2F` in a key is a slash, `+` is a plus, and dot
/// segments (`..`) are kept as they are, because S3 keys are data, not file paths.
struct RequestTarget: Sendable, Equatable {
    /// The bucket, or nil for the service root (`GET /` lists buckets).
    var bucket: String?
    /// The key, or nil when the request addresses the bucket itself.
    var key: String?
    var style: AddressingStyle
    /// The path as sent (still percent-encoded), for the signature.
    var rawPath: String
    /// The query as sent (without `?`), for the signature.
    var rawQuery: String
    /// The decoded query parameters.
    var query: QueryParameters

    /// The resource named in error documents: `/bucket/key`, `/bucket` or `/`.
    var resource: String {
        guard let bucket else { return "/" }
        guard let key else { return "/\(bucket)" }
        return "/\(bucket)/\(key)"
    }

    /// Reads `target` (origin form `/path?query`, or absolute form `http://host/path?query`) with the
    /// `host` header value. A host `bucket.<rootDomain>` (port ignored, case-insensitive) selects
    /// the virtual-hosted style; the root domain itself, an IP address or any other host selects
    /// path style. Throws ``S3Error`` `InvalidURI` for a target that cannot be read.
    init(target: String, host: String?, rootDomain: String) throws(S3Error) {
        var target = Substring(target)
        var host = host
        if let schemeEnd = target.range(of: "://"), target[..<schemeEnd.lowerBound].allSatisfy({ $0.isLetter }) {
            let afterScheme = target[schemeEnd.upperBound...]
            let pathStart = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            host = String(afterScheme[..<pathStart])
            target = afterScheme[pathStart...]
            if target.isEmpty || target.first == "?" { target = "/" + target }
        }
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        let path: Substring
        let rawQuery: Substring
        if let mark = target.firstIndex(of: "?") {
            path = target[..<mark]
            rawQuery = target[target.index(after: mark)...]
        } else {
            path = target
            rawQuery = ""
        }
        guard path.first == "/" else { throw S3Error.invalidURI() }
        self.rawPath = String(path)
        self.rawQuery = String(rawQuery)
        self.query = try QueryParameters(parsing: rawQuery)

        let afterSlash = path.dropFirst()
        if let bucket = Self.virtualHostBucket(host: host, rootDomain: rootDomain) {
            style = .virtualHosted
            self.bucket = bucket
            key = try Self.decodeKey(afterSlash)
        } else {
            style = .path
            if afterSlash.isEmpty {
                bucket = nil
                key = nil
            } else {
                let slash = afterSlash.firstIndex(of: "/")
                let bucketPart = afterSlash[..<(slash ?? afterSlash.endIndex)]
                guard let bucket = PercentDecoding.decode(bucketPart, plusAsSpace: false) else { throw S3Error.invalidURI() }
                guard !bucket.isEmpty else { throw S3Error.invalidBucketName("The bucket name is empty") }
                self.bucket = bucket
                if let slash {
                    key = try Self.decodeKey(afterSlash[afterSlash.index(after: slash)...])
                } else {
                    key = nil
                }
            }
        }
    }

    /// The decoded key, nil when empty.
    private static func decodeKey(_ raw: Substring) throws(S3Error) -> String? {
        guard !raw.isEmpty else { return nil }
        guard let key = PercentDecoding.decode(raw, plusAsSpace: false) else { throw S3Error.invalidURI() }
        return key
    }

    /// The bucket named by a virtual-hosted-style host, or nil for path style.
    static func virtualHostBucket(host: String?, rootDomain: String) -> String? {
        guard let host, !host.isEmpty, !rootDomain.isEmpty else { return nil }
        // IPv6 literals ([::1]:9000) are path style.
        if host.hasPrefix("[") { return nil }
        let name = (host.lastIndex(of: ":").map { host[..<$0] } ?? host[...]).lowercased()
        let root = (rootDomain.lastIndex(of: ":").map { rootDomain[..<$0] } ?? rootDomain[...]).lowercased()
        if isIPv4(name) { return nil }
        let suffix = "." + root
        guard name.count > suffix.count, name.hasSuffix(suffix) else { return nil }
        let bucket = String(name.dropLast(suffix.count))
        return bucket.isEmpty ? nil : bucket
    }

    private static func isIPv4(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
