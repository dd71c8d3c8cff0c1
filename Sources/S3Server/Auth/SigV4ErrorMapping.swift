import HTTPTypes
import SigV4

extension S3Error {
    /// The S3 error response for a SigV4 failure (of the request or of its `aws-chunked` body).
    init(_ error: SigV4Error) {
        switch error {
        case .missingAuthentication:
            self = .accessDenied("Anonymous access is not allowed; sign the request with AWS Signature Version 4.")
        case .presignExpired:
            self = .requestExpired()
        case .unknownAccessKey:
            self = .invalidAccessKeyID()
        case .requestTimeTooSkewed:
            self = .requestTimeTooSkewed()
            message = error.message
        case .signatureDoesNotMatch(let canonicalRequest, let stringToSign):
            // As S3 does: what the server signed helps a client find its mistake, and holds no secret.
            self = .signatureDoesNotMatch()
            extra = [Field(name: "StringToSign", value: stringToSign), Field(name: "CanonicalRequest", value: canonicalRequest)]
        default:
            self = S3Error(error.code, HTTPResponse.Status(code: error.httpStatus), error.message)
        }
    }
}
