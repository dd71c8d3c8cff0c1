import Foundation

/// Why a request (or its `aws-chunked` body) failed SigV4 authentication.
/// ``code`` and ``httpStatus`` give the matching S3 error response.
public enum SigV4Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither an `Authorization` header nor `X-Amz-*` presign parameters: an anonymous request.
    case missingAuthentication
    /// The `Authorization` header could not be parsed; the string says what is wrong.
    case malformedAuthorization(String)
    /// The algorithm is not `AWS4-HMAC-SHA256` (SigV2 `AWS …`, SigV4a, …).
    case unsupportedAlgorithm(String)
    /// The presign query parameters are missing, repeated or malformed; the string says which.
    case malformedPresignedQuery(String)
    /// The credential scope is malformed or does not fit this server (date, region, service).
    case invalidCredentialScope(String)
    /// The request carries no `X-Amz-Date` (or `Date`) timestamp.
    case missingDate
    /// The timestamp could not be parsed.
    case malformedDate(String)
    /// The request time is further from the server clock than the allowed skew.
    case requestTimeTooSkewed(requestTime: Date, serverTime: Date)
    /// The presigned URL's `X-Amz-Date + X-Amz-Expires` is in the past.
    case presignExpired
    /// The presigned URL's `X-Amz-Date` is in the future, beyond the allowed skew.
    case presignNotYetValid
    /// `X-Amz-Expires` is not an integer in 1...604800.
    case invalidExpires(String)
    /// A header that must be signed (`host`, or an `x-amz-*` header present in the request) is not
    /// among the signed headers.
    case headerNotSigned(String)
    /// A header listed in `SignedHeaders` is absent from the request.
    case missingSignedHeader(String)
    /// `x-amz-content-sha256` is neither a hex SHA-256 nor a supported literal.
    case invalidContentSHA256(String)
    /// No secret is known for this access key id.
    case unknownAccessKey(String)
    /// The signature computed from the request differs from the one sent.
    /// Carries the server's canonical request and string to sign (S3 returns them to help debugging).
    case signatureDoesNotMatch(canonicalRequest: String, stringToSign: String)
    /// The `aws-chunked` body is not well formed; the string says what is wrong.
    case malformedChunkedBody(String)
    /// A chunk header or trailer line exceeds the line limit.
    case chunkLineTooLong(limit: Int)
    /// The signature of chunk `chunkIndex` (0-based; the final empty chunk included) does not match.
    case chunkSignatureDoesNotMatch(chunkIndex: Int)
    /// The `x-amz-trailer-signature` does not match the trailer.
    case trailerSignatureDoesNotMatch
    /// A signed trailer arrived without `x-amz-trailer-signature`.
    case missingTrailerSignature
    /// A trailer names a checksum algorithm this server does not compute.
    case unsupportedChecksum(String)
    /// A checksum sent in a trailer (or header) differs from the one computed over the data.
    case checksumMismatch(algorithm: String, expected: String, computed: String)
    /// A trailer declared in `x-amz-trailer` never arrived.
    case missingTrailer(String)
    /// A trailer arrived that `x-amz-trailer` did not declare.
    case undeclaredTrailer(String)
    /// The body ended before the `aws-chunked` encoding was complete.
    case incompleteBody
    /// The decoded body length differs from `x-amz-decoded-content-length`.
    case decodedLengthMismatch(expected: Int64, actual: Int64)
    /// The payload mode cannot be decoded as `aws-chunked` (for example `UNSIGNED-PAYLOAD`).
    case unsupportedPayload(String)

    /// The S3 error code for this failure.
    public var code: String {
        switch self {
        case .missingAuthentication, .missingDate, .malformedDate, .presignExpired, .presignNotYetValid,
            .headerNotSigned, .missingSignedHeader:
            return "AccessDenied"
        case .malformedAuthorization, .invalidCredentialScope:
            return "AuthorizationHeaderMalformed"
        case .unsupportedAlgorithm, .unsupportedPayload:
            return "InvalidRequest"
        case .malformedPresignedQuery, .invalidExpires:
            return "AuthorizationQueryParametersError"
        case .requestTimeTooSkewed:
            return "RequestTimeTooSkewed"
        case .invalidContentSHA256, .unsupportedChecksum, .undeclaredTrailer, .missingTrailer:
            return "InvalidArgument"
        case .unknownAccessKey:
            return "InvalidAccessKeyId"
        case .signatureDoesNotMatch, .chunkSignatureDoesNotMatch, .trailerSignatureDoesNotMatch,
            .missingTrailerSignature:
            return "SignatureDoesNotMatch"
        case .malformedChunkedBody, .chunkLineTooLong, .incompleteBody, .decodedLengthMismatch:
            return "IncompleteBody"
        case .checksumMismatch:
            return "BadDigest"
        }
    }

    /// The HTTP status S3 answers with for this failure.
    public var httpStatus: Int {
        switch code {
        case "AccessDenied", "RequestTimeTooSkewed", "InvalidAccessKeyId", "SignatureDoesNotMatch": return 403
        default: return 400
        }
    }

    /// A human-readable explanation, suitable for the `<Message>` of an S3 error.
    public var message: String {
        switch self {
        case .missingAuthentication:
            return "The request carries no AWS Signature Version 4 authentication."
        case .malformedAuthorization(let why):
            return "The authorization header is malformed: \(why)."
        case .unsupportedAlgorithm(let algorithm):
            return "The authorization mechanism '\(algorithm)' is not supported. Please use AWS4-HMAC-SHA256."
        case .malformedPresignedQuery(let why):
            return "Error parsing the X-Amz-* query parameters: \(why)."
        case .invalidCredentialScope(let why):
            return "The credential scope is invalid: \(why)."
        case .missingDate:
            return "AWS authentication requires a valid Date or x-amz-date header."
        case .malformedDate(let text):
            return "The request date '\(text)' is not a valid timestamp."
        case .requestTimeTooSkewed(let requestTime, let serverTime):
            return "The difference between the request time (\(SigV4Date.amzDate(requestTime))) "
                + "and the server's time (\(SigV4Date.amzDate(serverTime))) is too large."
        case .presignExpired:
            return "Request has expired."
        case .presignNotYetValid:
            return "Request is not valid yet."
        case .invalidExpires(let text):
            return "X-Amz-Expires must be an integer between 1 and 604800 seconds, not '\(text)'."
        case .headerNotSigned(let name):
            return "There were headers present in the request which were not signed: \(name)."
        case .missingSignedHeader(let name):
            return "The signed header '\(name)' is not present in the request."
        case .invalidContentSHA256(let value):
            return "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a valid sha256, not '\(value)'."
        case .unknownAccessKey(let id):
            return "The AWS access key id '\(id)' does not exist in our records."
        case .signatureDoesNotMatch:
            return "The request signature we calculated does not match the signature you provided. "
                + "Check your key and signing method."
        case .malformedChunkedBody(let why):
            return "The aws-chunked body is malformed: \(why)."
        case .chunkLineTooLong(let limit):
            return "An aws-chunked chunk header or trailer line exceeds \(limit) bytes."
        case .chunkSignatureDoesNotMatch(let index):
            return "The signature of chunk \(index) does not match."
        case .trailerSignatureDoesNotMatch:
            return "The trailer signature does not match."
        case .missingTrailerSignature:
            return "The signed trailer has no x-amz-trailer-signature."
        case .unsupportedChecksum(let name):
            return "The checksum '\(name)' is not supported."
        case .checksumMismatch(let algorithm, let expected, let computed):
            return "The \(algorithm) you specified (\(expected)) did not match the calculated checksum (\(computed))."
        case .missingTrailer(let name):
            return "The trailer '\(name)' declared in x-amz-trailer was not sent."
        case .undeclaredTrailer(let name):
            return "The trailer '\(name)' was not declared in x-amz-trailer."
        case .incompleteBody:
            return "The request body ended before the aws-chunked encoding was complete."
        case .decodedLengthMismatch(let expected, let actual):
            return "x-amz-decoded-content-length is \(expected) but the body decodes to \(actual) bytes."
        case .unsupportedPayload(let value):
            return "The payload mode '\(value)' cannot be decoded as aws-chunked."
        }
    }

    /// The ``message``.
    public var description: String { message }
}
