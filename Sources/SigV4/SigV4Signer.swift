import Crypto
import Foundation

/// Computes AWS Signature Version 4 (`AWS4-HMAC-SHA256`) signatures, stage by stage.
public enum SigV4Signer {
    /// The algorithm name, first token of the `Authorization` header and of every string to sign.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// The signing key: HMAC-SHA256 chained over `"AWS4" + secret`, the date, region, service and
    /// `aws4_request`. It depends only on the secret and the scope, so it can be cached per day.
    public static func signingKey(secretAccessKey: String, scope: SigV4Scope) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secretAccessKey).utf8))
        for part in [scope.date, scope.region, scope.service, SigV4Scope.terminator] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key))
        }
        return key
    }

    /// The canonical request of `request`, signing every header it carries except
    /// ``SigV4Canonicalizer/unsignableHeaders``.
    public static func canonicalRequest(for request: SigV4Request, mode: SigV4URIMode) -> String {
        let names = SigV4Canonicalizer.signableHeaderNames(request.headers)
        // Every name comes from the request itself, so no signed header can be missing.
        return (try? SigV4Canonicalizer.canonicalRequest(request, signedHeaders: names, mode: mode)) ?? ""
    }

    /// The string to sign: `AWS4-HMAC-SHA256 \n amzDate \n scope \n hex(sha256(canonicalRequest))`.
    public static func stringToSign(canonicalRequest: String, amzDate: String, scope: SigV4Scope) -> String {
        [algorithm, amzDate, scope.description, sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// The signature: lower-case hex HMAC-SHA256 of the string to sign under the signing key.
    public static func signature(stringToSign: String, signingKey: SymmetricKey) -> String {
        SigV4Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey))
    }

    /// The full `Authorization` header value for `request` as it stands (it should already carry
    /// `Host` and `X-Amz-Date`; see ``sign(_:credentials:amzDate:region:service:mode:)``):
    /// `AWS4-HMAC-SHA256 Credential=…/scope, SignedHeaders=…, Signature=…`.
    public static func authorizationHeader(
        for request: SigV4Request,
        credentials: SigV4Credentials,
        amzDate: String,
        region: String,
        service: String,
        mode: SigV4URIMode
    ) -> String {
        let scope = SigV4Scope(amzDate: amzDate, region: region, service: service)
        let names = SigV4Canonicalizer.signableHeaderNames(request.headers)
        let canonical = (try? SigV4Canonicalizer.canonicalRequest(request, signedHeaders: names, mode: mode)) ?? ""
        let key = signingKey(secretAccessKey: credentials.secretAccessKey, scope: scope)
        let signature = signature(
            stringToSign: stringToSign(canonicalRequest: canonical, amzDate: amzDate, scope: scope),
            signingKey: key)
        return "\(algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
    }

    /// Returns `request` ready to send: `X-Amz-Date` set to `amzDate`, `X-Amz-Security-Token` set when
    /// the credentials carry a session token, `x-amz-content-sha256` added in `.s3` mode when absent
    /// (S3 requires it), and `Authorization` computed over all of that.
    public static func sign(
        _ request: SigV4Request,
        credentials: SigV4Credentials,
        amzDate: String,
        region: String,
        service: String,
        mode: SigV4URIMode
    ) -> SigV4Request {
        var prepared = request.removingHeader("authorization").settingHeader("X-Amz-Date", amzDate)
        if let token = credentials.sessionToken {
            prepared = prepared.settingHeader("X-Amz-Security-Token", token)
        }
        if mode == .s3, prepared.header("x-amz-content-sha256") == nil {
            prepared.headers.append((name: "x-amz-content-sha256", value: prepared.payloadHash))
        }
        let authorization = authorizationHeader(
            for: prepared, credentials: credentials, amzDate: amzDate, region: region, service: service, mode: mode)
        prepared.headers.append((name: "Authorization", value: authorization))
        return prepared
    }

    static func sha256Hex(_ data: Data) -> String {
        SigV4Hex.encode(SHA256.hash(data: data))
    }
}
