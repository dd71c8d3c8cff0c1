import Foundation
import Logging
import SigV4
import Storage
import Testing

@testable import S3Server

@Suite struct ErrorMappingTests {
    private let logger = Logger(label: "test")

    @Test(arguments: [
        (ObjectStoreError.noSuchBucket("b"), "NoSuchBucket", 404),
        (.noSuchKey("k"), "NoSuchKey", 404),
        (.noSuchUpload("u"), "NoSuchUpload", 404),
        (.bucketAlreadyExists("b"), "BucketAlreadyExists", 409),
        (.bucketAlreadyOwnedByYou("b"), "BucketAlreadyOwnedByYou", 409),
        (.bucketNotEmpty("b"), "BucketNotEmpty", 409),
        (.accessDenied, "AccessDenied", 403),
        (.invalidBucketName("x"), "InvalidBucketName", 400),
        (.invalidKey("a key is at most 1024 bytes"), "KeyTooLongError", 400),
        (.invalidKey("a key must not contain NUL"), "InvalidArgument", 400),
        (.entityTooLarge(limit: 10), "EntityTooLarge", 400),
        (.entityTooSmall(part: 1), "EntityTooSmall", 400),
        (.invalidPart(2), "InvalidPart", 400),
        (.invalidPartOrder, "InvalidPartOrder", 400),
        (.invalidArgument("x"), "InvalidArgument", 400),
    ])
    func objectStoreErrors(_ error: ObjectStoreError, _ code: String, _ status: Int) {
        let mapped = S3Error.from(error, logger: logger)
        #expect(mapped.code == code)
        #expect(mapped.status.code == status)
    }

    @Test func unexpectedErrorsAreInternalWithoutDetail() {
        struct Secret: Error { let detail = "disk /secret/path failed" }
        let mapped = S3Error.from(Secret(), logger: logger)
        #expect(mapped.code == "InternalError")
        #expect(mapped.status == .internalServerError)
        #expect(!mapped.message.contains("secret"))
    }

    @Test func s3ErrorsPassThrough() {
        #expect(S3Error.from(S3Error.badDigest(), logger: logger) == .badDigest())
    }

    @Test func sigV4Errors() {
        #expect(S3Error(SigV4Error.missingAuthentication).code == "AccessDenied")
        #expect(S3Error(SigV4Error.missingAuthentication).status == .forbidden)
        #expect(S3Error(SigV4Error.unknownAccessKey("AK")).code == "InvalidAccessKeyId")
        let mismatch = S3Error(SigV4Error.signatureDoesNotMatch(canonicalRequest: "c", stringToSign: "s"))
        #expect(mismatch.code == "SignatureDoesNotMatch")
        #expect(mismatch.status == .forbidden)
        let skew = S3Error(SigV4Error.requestTimeTooSkewed(requestTime: .distantPast, serverTime: .now))
        #expect(skew.code == "RequestTimeTooSkewed")
        #expect(skew.status == .forbidden)
        let expired = S3Error(SigV4Error.presignExpired)
        #expect(expired.code == "AccessDenied")
        #expect(expired.message == "Request has expired")
        #expect(S3Error(SigV4Error.invalidCredentialScope("x")).code == "AuthorizationHeaderMalformed")
        #expect(S3Error(SigV4Error.invalidCredentialScope("x")).status == .badRequest)
        #expect(S3Error(SigV4Error.chunkSignatureDoesNotMatch(chunkIndex: 1)).code == "SignatureDoesNotMatch")
        #expect(S3Error(SigV4Error.checksumMismatch(algorithm: "crc32", expected: "a", computed: "b")).code == "BadDigest")
    }

    @Test func wrongRegionNamesTheExpectedOne() {
        let error = S3Error.wrongRegion(expected: "garage", got: "us-east-1")
        #expect(error.code == "AuthorizationHeaderMalformed")
        #expect(error.status == .badRequest)
        #expect(error.message.contains("'garage'"))
        #expect(error.extra.contains(S3Error.Field(name: "Region", value: "garage")))
    }
}
