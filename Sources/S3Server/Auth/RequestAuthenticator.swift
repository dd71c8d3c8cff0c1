import Foundation
import Hummingbird
import SigV4

/// What authentication established about a request.
struct AuthenticatedRequest: Sendable {
    /// The key that signed it (and so the tenant it acts as).
    let credential: S3Credential
    /// The verified signature: payload mode, chunk-signing seed.
    let verified: SigV4VerifiedRequest
    /// The request as SigV4 saw it (headers in wire order, `host` included).
    let signed: SigV4Request
}

/// Checks the SigV4 signature (header or presigned URL) of every request.
///
/// Anonymous requests are refused (403 AccessDenied); the access key must be known (403
/// InvalidAccessKeyId); the credential scope must name the configured region (400
/// AuthorizationHeaderMalformed) and service `s3`; then ``SigV4Verifier`` checks the signature in
/// S3 URI mode, the clock skew and presign expiry. The payload itself is checked later, as it
/// streams (``PayloadReader``).
struct RequestAuthenticator: Sendable {
    let credentials: any S3CredentialStore
    let region: String
    let verifier: SigV4Verifier

    init(credentials: any S3CredentialStore, region: String, maxClockSkew: TimeInterval) {
        self.credentials = credentials
        self.region = region
        verifier = SigV4Verifier(mode: .s3, service: "s3", region: region, maxClockSkew: maxClockSkew, requireSignedAmzHeaders: true)
    }

    /// Authenticates `request` addressed at `target`.
    func authenticate(_ request: Request, target: RequestTarget, now: Date = Date()) async throws -> AuthenticatedRequest {
        let signed = Self.sigV4Request(request, target: target)
        guard SigV4Verifier.isAuthenticated(signed) else { throw S3Error(SigV4Error.missingAuthentication) }
        let accessKeyID: String
        let scope: SigV4Scope
        do throws(SigV4Error) {
            if let header = signed.header("authorization") {
                let authorization = try SigV4Authorization.parse(header: header)
                (accessKeyID, scope) = (authorization.accessKeyID, authorization.scope)
            } else if let presigned = try SigV4PresignedParameters.parse(query: signed.query) {
                (accessKeyID, scope) = (presigned.authorization.accessKeyID, presigned.authorization.scope)
            } else {
                throw SigV4Error.missingAuthentication
            }
        } catch {
            throw S3Error(error)
        }
        guard let credential = try await credentials.credential(accessKeyID: accessKeyID) else {
            throw S3Error.invalidAccessKeyID()
        }
        guard scope.region == region else { throw S3Error.wrongRegion(expected: region, got: scope.region) }
        let secret = credential.secret
        do throws(SigV4Error) {
            let verified = try verifier.verify(signed, secretFor: { $0 == accessKeyID ? secret : nil }, now: now)
            return AuthenticatedRequest(credential: credential, verified: verified, signed: signed)
        } catch {
            throw S3Error(error)
        }
    }

    /// The request's parts as SigV4 signs them: method, raw path and query, and every header in
    /// wire order with `host` (which HTTP types keep as the authority) put back.
    static func sigV4Request(_ request: Request, target: RequestTarget) -> SigV4Request {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.headers.count + 1)
        if let authority = request.head.authority { headers.append((name: "host", value: authority)) }
        for field in request.headers {
            headers.append((name: field.name.canonicalName, value: field.value))
        }
        return SigV4Request(method: request.method.rawValue, path: target.rawPath, query: target.rawQuery, headers: headers)
    }
}
