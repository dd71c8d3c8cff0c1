/// The authentication a request carries: the parsed `Authorization` header, or the parsed
/// `X-Amz-*` parameters of a presigned URL.
public struct SigV4Authorization: Sendable, Equatable {
    /// The access key id of the `Credential` component.
    public var accessKeyID: String
    /// The credential scope of the `Credential` component.
    public var scope: SigV4Scope
    /// The lower-case signed header names, in the order listed.
    public var signedHeaders: [String]
    /// The signature (64 hex digits) as sent.
    public var signature: String

    /// Creates an authorization from its parts.
    public init(accessKeyID: String, scope: SigV4Scope, signedHeaders: [String], signature: String) {
        self.accessKeyID = accessKeyID
        self.scope = scope
        self.signedHeaders = signedHeaders
        self.signature = signature
    }

    /// Parses an `Authorization` header value:
    /// `AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=…`
    /// (components separated by `,` with optional spaces, in any order).
    public static func parse(header value: String) throws(SigV4Error) -> SigV4Authorization {
        let trimmed = value.trimmingSigV4Whitespace()
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            throw trimmed.isEmpty ? .malformedAuthorization("the header is empty") : .unsupportedAlgorithm(trimmed)
        }
        let algorithm = String(trimmed[..<space])
        guard algorithm == SigV4Signer.algorithm else { throw .unsupportedAlgorithm(algorithm) }

        var credential: String?
        var signedHeaders: String?
        var signature: String?
        for component in trimmed[space...].split(separator: ",") {
            let part = String(component).trimmingSigV4Whitespace()
            if part.isEmpty { continue }
            guard let equals = part.firstIndex(of: "=") else {
                throw .malformedAuthorization("'\(part)' is not of the form key=value")
            }
            let key = String(part[..<equals])
            let item = String(part[part.index(after: equals)...])
            switch key {
            case "Credential":
                guard credential == nil else { throw .malformedAuthorization("Credential is repeated") }
                credential = item
            case "SignedHeaders":
                guard signedHeaders == nil else { throw .malformedAuthorization("SignedHeaders is repeated") }
                signedHeaders = item
            case "Signature":
                guard signature == nil else { throw .malformedAuthorization("Signature is repeated") }
                signature = item
            default:
                throw .malformedAuthorization("unknown component '\(key)'")
            }
        }
        guard let credential else { throw .malformedAuthorization("Credential is missing") }
        guard let signedHeaders else { throw .malformedAuthorization("SignedHeaders is missing") }
        guard let signature else { throw .malformedAuthorization("Signature is missing") }
        let (accessKeyID, scope) = try parseCredential(credential, presigned: false)
        return SigV4Authorization(
            accessKeyID: accessKeyID,
            scope: scope,
            signedHeaders: try parseSignedHeaders(signedHeaders, presigned: false),
            signature: try checkSignature(signature, presigned: false))
    }

    /// Parses `AKID/yyyyMMdd/region/service/aws4_request`.
    static func parseCredential(_ text: String, presigned: Bool) throws(SigV4Error) -> (String, SigV4Scope) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts.allSatisfy({ !$0.isEmpty }) else {
            throw malformed("Credential '\(text)' is not of the form AccessKeyId/date/region/service/aws4_request",
                presigned)
        }
        guard parts[4] == SigV4Scope.terminator else {
            throw .invalidCredentialScope("the credential must end with aws4_request, not '\(parts[4])'")
        }
        guard parts[1].utf8.count == 8, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .invalidCredentialScope("the credential date '\(parts[1])' is not of the form yyyyMMdd")
        }
        return (parts[0], SigV4Scope(date: parts[1], region: parts[2], service: parts[3]))
    }

    /// Parses `host;range;x-amz-date` into lower-case names.
    static func parseSignedHeaders(_ text: String, presigned: Bool) throws(SigV4Error) -> [String] {
        let names = text.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard !text.isEmpty, names.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw malformed("SignedHeaders '\(text)' is not a ;-separated list of header names", presigned)
        }
        return names
    }

    static func checkSignature(_ text: String, presigned: Bool) throws(SigV4Error) -> String {
        guard SigV4Hex.isHexDigest(text, byteCount: 32) else {
            throw malformed("the signature '\(text)' is not 64 hex digits", presigned)
        }
        return text.lowercased()
    }

    private static func malformed(_ why: String, _ presigned: Bool) -> SigV4Error {
        presigned ? .malformedPresignedQuery(why) : .malformedAuthorization(why)
    }
}

/// The `X-Amz-*` query parameters of a presigned URL.
public struct SigV4PresignedParameters: Sendable, Equatable {
    /// Credential, signed headers and signature.
    public var authorization: SigV4Authorization
    /// `X-Amz-Date`, as sent.
    public var amzDate: String
    /// `X-Amz-Expires`, in seconds (1...604800).
    public var expires: Int
    /// `X-Amz-Security-Token`, when present.
    public var securityToken: String?
    /// `X-Amz-Content-Sha256`, when present (otherwise the payload is `UNSIGNED-PAYLOAD`).
    public var contentSHA256: String?

    /// The names of the presign parameters; all but `X-Amz-Signature` are part of the signed query.
    public static let parameterNames: Set<String> = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Content-Sha256",
    ]

    /// Parses the presign parameters of a raw query string.
    /// - Returns: `nil` when the query has no `X-Amz-Algorithm` (not a presigned URL).
    /// - Throws: ``SigV4Error/malformedPresignedQuery(_:)`` for missing, repeated or malformed parameters,
    ///   ``SigV4Error/unsupportedAlgorithm(_:)`` and ``SigV4Error/invalidExpires(_:)``.
    public static func parse(query rawQuery: String) throws(SigV4Error) -> SigV4PresignedParameters? {
        var found: [String: String] = [:]
        for (name, value) in SigV4Canonicalizer.queryParameters(rawQuery) where parameterNames.contains(name) {
            guard found[name] == nil else { throw .malformedPresignedQuery("\(name) is repeated") }
            found[name] = value
        }
        guard let algorithm = found["X-Amz-Algorithm"] else { return nil }
        guard algorithm == SigV4Signer.algorithm else { throw .unsupportedAlgorithm(algorithm) }
        func required(_ name: String) throws(SigV4Error) -> String {
            guard let value = found[name] else { throw .malformedPresignedQuery("\(name) is missing") }
            return value
        }
        let (accessKeyID, scope) = try SigV4Authorization.parseCredential(
            try required("X-Amz-Credential"), presigned: true)
        let signedHeaders = try SigV4Authorization.parseSignedHeaders(
            try required("X-Amz-SignedHeaders"), presigned: true)
        let signature = try SigV4Authorization.checkSignature(try required("X-Amz-Signature"), presigned: true)
        let amzDate = try required("X-Amz-Date")
        let expiresText = try required("X-Amz-Expires")
        guard expiresText.utf8.count <= 7, expiresText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let expires = Int(expiresText), (1...SigV4Signer.maximumPresignExpiry).contains(expires)
        else { throw .invalidExpires(expiresText) }
        return SigV4PresignedParameters(
            authorization: SigV4Authorization(
                accessKeyID: accessKeyID, scope: scope, signedHeaders: signedHeaders, signature: signature),
            amzDate: amzDate,
            expires: expires,
            securityToken: found["X-Amz-Security-Token"],
            contentSHA256: found["X-Amz-Content-Sha256"])
    }
}
