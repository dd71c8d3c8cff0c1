import HTTPTypes

/// An S3 error response: the code clients branch on, the HTTP status, and a message.
///
/// Thrown by every layer of the listener and turned into the `<Error>` document by
/// ``S3ErrorResponse``. Unexpected errors become ``internalError()`` and keep their detail in the log.
struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The S3 error code, e.g. `NoSuchKey`.
    var code: String
    /// The HTTP status.
    var status: HTTPResponse.Status
    /// The human-readable message.
    var message: String
    /// Extra elements of the error document after `Code` and `Message` (e.g. `Key`, `BucketName`).
    var extra: [Field] = []
    /// Extra response headers (e.g. `Allow` for 405).
    var headers: [Field] = []

    /// A name and a value, for extra elements and headers.
    struct Field: Sendable, Equatable {
        var name: String
        var value: String
    }

    var description: String { "\(code) (\(status.code)): \(message)" }

    init(_ code: String, _ status: HTTPResponse.Status, _ message: String, extra: [Field] = []) {
        self.code = code
        self.status = status
        self.message = message
        self.extra = extra
    }
}

extension S3Error {
    // MARK: Authentication

    static func accessDenied(_ message: String = "Access Denied") -> S3Error {
        S3Error("AccessDenied", .forbidden, message)
    }

    static func invalidAccessKeyID() -> S3Error {
        S3Error("InvalidAccessKeyId", .forbidden, "The AWS Access Key Id you provided does not exist in our records.")
    }

    static func signatureDoesNotMatch() -> S3Error {
        S3Error(
            "SignatureDoesNotMatch", .forbidden,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    }

    static func requestTimeTooSkewed() -> S3Error {
        S3Error("RequestTimeTooSkewed", .forbidden, "The difference between the request time and the current time is too large.")
    }

    static func requestExpired() -> S3Error {
        S3Error("AccessDenied", .forbidden, "Request has expired")
    }

    static func wrongRegion(expected: String, got: String) -> S3Error {
        S3Error(
            "AuthorizationHeaderMalformed", .badRequest,
            "The authorization header is malformed; the region '\(got)' is wrong; expecting '\(expected)'",
            extra: [Field(name: "Region", value: expected)])
    }

    // MARK: Request syntax and bodies

    static func invalidRequest(_ message: String) -> S3Error {
        S3Error("InvalidRequest", .badRequest, message)
    }

    static func invalidArgument(_ message: String) -> S3Error {
        S3Error("InvalidArgument", .badRequest, message)
    }

    static func invalidURI(_ message: String = "Couldn't parse the specified URI.") -> S3Error {
        S3Error("InvalidURI", .badRequest, message)
    }

    static func malformedXML() -> S3Error {
        S3Error("MalformedXML", .badRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
    }

    static func maxMessageLengthExceeded() -> S3Error {
        S3Error("MaxMessageLengthExceeded", .badRequest, "Your request was too big.")
    }

    static func contentSHA256Mismatch() -> S3Error {
        S3Error("XAmzContentSHA256Mismatch", .badRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
    }

    static func badDigest() -> S3Error {
        S3Error("BadDigest", .badRequest, "The Content-MD5 you specified did not match what we received.")
    }

    static func invalidDigest() -> S3Error {
        S3Error("InvalidDigest", .badRequest, "The Content-MD5 you specified is not valid.")
    }

    static func incompleteBody(_ message: String = "You did not provide the number of bytes specified by the Content-Length HTTP header.") -> S3Error {
        S3Error("IncompleteBody", .badRequest, message)
    }

    static func entityTooLarge(limit: Int64) -> S3Error {
        S3Error(
            "EntityTooLarge", .badRequest, "Your proposed upload exceeds the maximum allowed size",
            extra: [Field(name: "MaxSizeAllowed", value: String(limit))])
    }

    static func entityTooSmall(_ message: String = "Your proposed upload is smaller than the minimum allowed object size.") -> S3Error {
        S3Error("EntityTooSmall", .badRequest, message)
    }

    static func invalidPart(_ message: String = "One or more of the specified parts could not be found.") -> S3Error {
        S3Error("InvalidPart", .badRequest, message)
    }

    static func invalidPartOrder() -> S3Error {
        S3Error("InvalidPartOrder", .badRequest, "The list of parts was not in ascending order. Parts must be ordered by part number.")
    }

    static func keyTooLong() -> S3Error {
        S3Error("KeyTooLongError", .badRequest, "Your key is too long")
    }

    static func invalidBucketName(_ message: String = "The specified bucket is not valid.") -> S3Error {
        S3Error("InvalidBucketName", .badRequest, message)
    }

    static func invalidLocationConstraint(expected: String) -> S3Error {
        S3Error("InvalidLocationConstraint", .badRequest, "The specified location-constraint is not valid; this server's region is '\(expected)'")
    }

    // MARK: Dispatch

    static func notImplemented(_ message: String = "A header or query you provided implies functionality that is not implemented.") -> S3Error {
        S3Error("NotImplemented", .notImplemented, message)
    }

    static func methodNotAllowed(_ method: String, allowed: [String]) -> S3Error {
        var error = S3Error("MethodNotAllowed", .methodNotAllowed, "The specified method is not allowed against this resource.",
            extra: [Field(name: "Method", value: method)])
        error.headers = [Field(name: "Allow", value: allowed.joined(separator: ", "))]
        return error
    }

    // MARK: Resources and conditions

    static func noSuchBucket(_ bucket: String) -> S3Error {
        S3Error("NoSuchBucket", .notFound, "The specified bucket does not exist", extra: [Field(name: "BucketName", value: bucket)])
    }

    static func noSuchKey(_ key: String) -> S3Error {
        S3Error("NoSuchKey", .notFound, "The specified key does not exist.", extra: [Field(name: "Key", value: key)])
    }

    static func noSuchUpload(_ uploadID: String) -> S3Error {
        S3Error(
            "NoSuchUpload", .notFound,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            extra: [Field(name: "UploadId", value: uploadID)])
    }

    static func bucketAlreadyExists(_ bucket: String) -> S3Error {
        S3Error(
            "BucketAlreadyExists", .conflict,
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
            extra: [Field(name: "BucketName", value: bucket)])
    }

    static func bucketAlreadyOwnedByYou(_ bucket: String) -> S3Error {
        S3Error(
            "BucketAlreadyOwnedByYou", .conflict,
            "Your previous request to create the named bucket succeeded and you already own it.",
            extra: [Field(name: "BucketName", value: bucket)])
    }

    static func bucketNotEmpty(_ bucket: String) -> S3Error {
        S3Error("BucketNotEmpty", .conflict, "The bucket you tried to delete is not empty", extra: [Field(name: "BucketName", value: bucket)])
    }

    static func invalidRange(size: Int64) -> S3Error {
        S3Error(
            "InvalidRange", .rangeNotSatisfiable, "The requested range is not satisfiable",
            extra: [Field(name: "ActualObjectSize", value: String(size))])
    }

    static func preconditionFailed(_ condition: String) -> S3Error {
        S3Error("PreconditionFailed", .preconditionFailed, "At least one of the pre-conditions you specified did not hold",
            extra: [Field(name: "Condition", value: condition)])
    }

    /// The data directory is full: 503, which S3 clients retry with backoff.
    static func slowDown(_ message: String) -> S3Error {
        S3Error("SlowDown", .serviceUnavailable, message)
    }

    /// A store failed with an I/O error: 503, retried by clients.
    static func serviceUnavailable(_ message: String) -> S3Error {
        var error = S3Error("ServiceUnavailable", .serviceUnavailable, message)
        error.headers = [Field(name: "Retry-After", value: "5")]
        return error
    }

    static func internalError() -> S3Error {
        S3Error("InternalError", .internalServerError, "We encountered an internal error. Please try again.")
    }
}
