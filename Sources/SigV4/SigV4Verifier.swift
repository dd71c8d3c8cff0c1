import Crypto
import Foundation

/// What a successful verification established about a request.
public struct SigV4VerifiedRequest: Sendable {
    /// The access key id whose secret produced the signature.
    public var accessKeyID: String
    /// The credential scope of the signature.
    public var scope: SigV4Scope
    /// The verified signature; for an `aws-chunked` body, the seed of the chunk signature chain.
    public var signature: String
    /// The request timestamp used in the string to sign (`yyyyMMdd'T'HHmmss'Z'`).
    public var amzDate: String
    /// The lower-case signed header names.
    public var signedHeaders: [String]
    /// Whether the authentication came from presign query parameters rather than a header.
    public var isPresigned: Bool
    /// The hashed-payload value that was signed (how the body must be read and checked).
    public var payloadHash: SigV4PayloadHash
    /// `x-amz-security-token` / `X-Amz-Security-Token`, for the caller to validate if it issues tokens.
    public var securityToken: String?
    /// When a presigned URL stops being valid; `nil` for header authentication.
    public var expiresAt: Date?
    /// The derived signing key (for chunk and trailer signatures).
    public var signingKey: SymmetricKey

    /// The context an ``AWSChunkedDecoder`` needs to verify chunk signatures chained from this request.
    public var chunkSigningContext: AWSChunkSigningContext {
        AWSChunkSigningContext(signingKey: signingKey, amzDate: amzDate, scope: scope, seedSignature: signature)
    }
}

/// Verifies SigV4-signed requests on the server side (`Authorization` header or presigned URL).
public struct SigV4Verifier: Sendable {
    /// How the path is canonicalized (``SigV4URIMode/s3`` for an S3 endpoint).
    public var mode: SigV4URIMode
    /// The service the credential scope must name (`s3`); `nil` accepts any.
    public var service: String?
    /// The region the credential scope must name; `nil` accepts any.
    public var region: String?
    /// The largest accepted distance between the request time and `now` (S3: 15 minutes).
    public var maxClockSkew: TimeInterval
    /// Whether every `x-amz-*` header present must be signed (as S3 requires); `x-amz-content-sha256`
    /// is exempt since its value is in the canonical request anyway.
    public var requireSignedAmzHeaders: Bool

    /// Creates a verifier. The defaults fit an S3 endpoint in any region.
    public init(
        mode: SigV4URIMode = .s3,
        service: String? = "s3",
        region: String? = nil,
        maxClockSkew: TimeInterval = 15 * 60,
        requireSignedAmzHeaders: Bool = true
    ) {
        self.mode = mode
        self.service = service
        self.region = region
        self.maxClockSkew = maxClockSkew
        self.requireSignedAmzHeaders = requireSignedAmzHeaders
    }

    /// Whether the request carries SigV4 (or any other AWS) authentication at all; when `false`,
    /// ``verify(_:secretFor:now:)`` throws ``SigV4Error/missingAuthentication``.
    public static func isAuthenticated(_ request: SigV4Request) -> Bool {
        request.header("authorization") != nil
            || SigV4Canonicalizer.queryParameters(request.query).contains { $0.name == "X-Amz-Algorithm" }
    }

    /// Verifies `request`.
    ///
    /// For header authentication the hashed payload is `request.payloadHash` (fill it from
    /// `x-amz-content-sha256`); for a presigned URL it is `X-Amz-Content-Sha256` when present,
    /// otherwise `UNSIGNED-PAYLOAD`. A hex payload hash is only signed here: the caller must still
    /// compare it with the SHA-256 of the body it receives.
    ///
    /// - Parameters:
    ///   - secretFor: the secret access key of an access key id, or `nil` when the key is unknown.
    ///   - now: the server clock.
    /// - Returns: the verified identity, scope and seed signature.
    /// - Throws: ``SigV4Error``.
    public func verify(
        _ request: SigV4Request,
        secretFor: (String) -> String?,
        now: Date
    ) throws(SigV4Error) -> SigV4VerifiedRequest {
        if let header = request.header("authorization") {
            return try verifyHeader(request, authorization: header, secretFor: secretFor, now: now)
        }
        if let presigned = try SigV4PresignedParameters.parse(query: request.query) {
            return try verifyPresigned(request, parameters: presigned, secretFor: secretFor, now: now)
        }
        throw .missingAuthentication
    }

    private func verifyHeader(
        _ request: SigV4Request,
        authorization header: String,
        secretFor: (String) -> String?,
        now: Date
    ) throws(SigV4Error) -> SigV4VerifiedRequest {
        let authorization = try SigV4Authorization.parse(header: header)
        let (amzDate, requestTime) = try requestDate(request)
        try checkScope(authorization.scope, amzDate: amzDate)
        guard abs(requestTime.timeIntervalSince(now)) <= maxClockSkew else {
            throw .requestTimeTooSkewed(requestTime: requestTime, serverTime: now)
        }
        try checkSignedHeaders(authorization.signedHeaders, request: request, presigned: false)
        guard let payload = SigV4PayloadHash(request.payloadHash) else {
            throw .invalidContentSHA256(request.payloadHash)
        }
        // Signed as sent (a client may write the hex digest in upper case).
        let key = try compare(
            request, authorization: authorization, amzDate: amzDate, excludingQuery: [], secretFor: secretFor)
        return SigV4VerifiedRequest(
            accessKeyID: authorization.accessKeyID,
            scope: authorization.scope,
            signature: authorization.signature,
            amzDate: amzDate,
            signedHeaders: authorization.signedHeaders,
            isPresigned: false,
            payloadHash: payload,
            securityToken: request.header("x-amz-security-token"),
            expiresAt: nil,
            signingKey: key)
    }

    private func verifyPresigned(
        _ request: SigV4Request,
        parameters: SigV4PresignedParameters,
        secretFor: (String) -> String?,
        now: Date
    ) throws(SigV4Error) -> SigV4VerifiedRequest {
        guard let requestTime = SigV4Date.parseAmzDate(parameters.amzDate) else {
            throw .malformedDate(parameters.amzDate)
        }
        try checkScope(parameters.authorization.scope, amzDate: parameters.amzDate)
        guard requestTime.timeIntervalSince(now) <= maxClockSkew else { throw .presignNotYetValid }
        let expiresAt = requestTime.addingTimeInterval(TimeInterval(parameters.expires))
        guard now <= expiresAt else { throw .presignExpired }
        try checkSignedHeaders(parameters.authorization.signedHeaders, request: request, presigned: true)
        let payloadText = parameters.contentSHA256 ?? SigV4PayloadHash.unsignedPayload
        guard let payload = SigV4PayloadHash(payloadText), !payload.isStreaming else {
            throw .invalidContentSHA256(payloadText)
        }
        var signed = request
        signed.payloadHash = payloadText
        let key = try compare(
            signed, authorization: parameters.authorization, amzDate: parameters.amzDate,
            excludingQuery: ["X-Amz-Signature"], secretFor: secretFor)
        return SigV4VerifiedRequest(
            accessKeyID: parameters.authorization.accessKeyID,
            scope: parameters.authorization.scope,
            signature: parameters.authorization.signature,
            amzDate: parameters.amzDate,
            signedHeaders: parameters.authorization.signedHeaders,
            isPresigned: true,
            payloadHash: payload,
            securityToken: parameters.securityToken,
            expiresAt: expiresAt,
            signingKey: key)
    }

    /// The timestamp of a header-authenticated request: `X-Amz-Date`, else `Date`.
    private func requestDate(_ request: SigV4Request) throws(SigV4Error) -> (String, Date) {
        if let text = request.header("x-amz-date")?.trimmingSigV4Whitespace() {
            guard let date = SigV4Date.parseAmzDate(text) else { throw .malformedDate(text) }
            return (text, date)
        }
        if let text = request.header("date")?.trimmingSigV4Whitespace() {
            guard let date = SigV4Date.parseHTTPDate(text) else { throw .malformedDate(text) }
            return (SigV4Date.amzDate(date), date)
        }
        throw .missingDate
    }

    private func checkScope(_ scope: SigV4Scope, amzDate: String) throws(SigV4Error) {
        guard scope.date == String(amzDate.prefix(8)) else {
            throw .invalidCredentialScope("the credential date \(scope.date) is not the day of the request date \(amzDate)")
        }
        if let service, scope.service != service {
            throw .invalidCredentialScope("the service '\(scope.service)' is wrong; expecting '\(service)'")
        }
        if let region, scope.region != region {
            throw .invalidCredentialScope("the region '\(scope.region)' is wrong; expecting '\(region)'")
        }
    }

    private func checkSignedHeaders(_ signed: [String], request: SigV4Request, presigned: Bool) throws(SigV4Error) {
        let signedSet = Set(signed)
        guard signedSet.contains("host") else { throw .headerNotSigned("host") }
        guard requireSignedAmzHeaders else { return }
        for header in request.headers {
            let name = header.name.lowercased()
            if name.hasPrefix("x-amz-"), name != "x-amz-content-sha256", !signedSet.contains(name) {
                throw .headerNotSigned(name)
            }
        }
    }

    /// Recomputes the signature and compares it in constant time; returns the signing key.
    private func compare(
        _ request: SigV4Request,
        authorization: SigV4Authorization,
        amzDate: String,
        excludingQuery: Set<String>,
        secretFor: (String) -> String?
    ) throws(SigV4Error) -> SymmetricKey {
        guard let secret = secretFor(authorization.accessKeyID) else {
            throw .unknownAccessKey(authorization.accessKeyID)
        }
        let canonical = try SigV4Canonicalizer.canonicalRequest(
            request, signedHeaders: authorization.signedHeaders, mode: mode, excludingQuery: excludingQuery)
        let toSign = SigV4Signer.stringToSign(canonicalRequest: canonical, amzDate: amzDate, scope: authorization.scope)
        let key = SigV4Signer.signingKey(secretAccessKey: secret, scope: authorization.scope)
        let expected = SigV4Signer.signature(stringToSign: toSign, signingKey: key)
        guard SigV4Hex.constantTimeEquals(expected, authorization.signature) else {
            throw .signatureDoesNotMatch(canonicalRequest: canonical, stringToSign: toSign)
        }
        return key
    }
}
