import Crypto
import Foundation

/// The query parameters that make a URL presigned, and the query string to send.
public struct SigV4PresignedQuery: Sendable {
    /// The added parameters, decoded, in order: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
    /// `X-Amz-Expires`, `X-Amz-SignedHeaders`, (`X-Amz-Security-Token`,) `X-Amz-Signature`.
    public var parameters: [(name: String, value: String)]
    /// The complete raw query string to put after `?`: the request's own query followed by the
    /// encoded parameters above.
    public var query: String
    /// The signature (also the value of `X-Amz-Signature`).
    public var signature: String
    /// The canonical request that was signed (for debugging and tests).
    public var canonicalRequest: String
    /// The string that was signed (for debugging and tests).
    public var stringToSign: String
}

extension SigV4Signer {
    /// The longest lifetime of a presigned URL: seven days.
    public static let maximumPresignExpiry = 604_800

    /// Presigns `request` for `expires` seconds (clamped to 1...604800) from `amzDate`.
    /// The payload is `UNSIGNED-PAYLOAD`; the signed headers are those the request carries (at least
    /// `host`, which the caller must include) minus ``SigV4Canonicalizer/unsignableHeaders``.
    public static func presign(
        _ request: SigV4Request,
        credentials: SigV4Credentials,
        amzDate: String,
        expires: Int,
        region: String,
        service: String,
        mode: SigV4URIMode
    ) -> SigV4PresignedQuery {
        let scope = SigV4Scope(amzDate: amzDate, region: region, service: service)
        let names = SigV4Canonicalizer.signableHeaderNames(request.headers)
        var parameters: [(name: String, value: String)] = [
            ("X-Amz-Algorithm", algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(min(max(expires, 1), maximumPresignExpiry))),
            ("X-Amz-SignedHeaders", names.joined(separator: ";")),
        ]
        if let token = credentials.sessionToken {
            parameters.append(("X-Amz-Security-Token", token))
        }
        var unsigned = request
        unsigned.query = appending(parameters, to: request.query)
        unsigned.payloadHash = SigV4PayloadHash.unsignedPayload
        let canonical = (try? SigV4Canonicalizer.canonicalRequest(unsigned, signedHeaders: names, mode: mode)) ?? ""
        let toSign = stringToSign(canonicalRequest: canonical, amzDate: amzDate, scope: scope)
        let signature = signature(
            stringToSign: toSign,
            signingKey: signingKey(secretAccessKey: credentials.secretAccessKey, scope: scope))
        parameters.append(("X-Amz-Signature", signature))
        return SigV4PresignedQuery(
            parameters: parameters,
            query: appending(parameters, to: request.query),
            signature: signature,
            canonicalRequest: canonical,
            stringToSign: toSign)
    }

    private static func appending(_ parameters: [(name: String, value: String)], to query: String) -> String {
        let encoded = parameters.map {
            SigV4Encoding.uriEncode($0.name) + "=" + SigV4Encoding.uriEncode($0.value)
        }.joined(separator: "&")
        return query.isEmpty ? encoded : query + "&" + encoded
    }
}
