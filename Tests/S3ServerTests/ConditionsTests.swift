import Foundation
import Testing

@testable import S3Server

@Suite struct ConditionsTests {
    let modified = Date(timeIntervalSince1970: 1_000_000.5)
    let etag = "abc"

    @Test func noConditionsProceed() {
        #expect(Conditions().evaluate(etag: etag, lastModified: modified) == .proceed)
    }

    @Test func ifMatch() {
        #expect(Conditions(ifMatch: "\"abc\"").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifMatch: "\"x\", \"abc\"").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifMatch: "*").evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifMatch: "\"x\"").evaluate(etag: etag, lastModified: modified) == .preconditionFailed("If-Match"))
    }

    @Test func ifNoneMatch() {
        #expect(Conditions(ifNoneMatch: "\"abc\"").evaluate(etag: etag, lastModified: modified) == .notModified)
        #expect(Conditions(ifNoneMatch: "W/\"abc\"").evaluate(etag: etag, lastModified: modified) == .notModified)
        #expect(Conditions(ifNoneMatch: "\"x\"").evaluate(etag: etag, lastModified: modified) == .proceed)
    }

    @Test func dates() {
        let before = Date(timeIntervalSince1970: 999_999)
        let same = Date(timeIntervalSince1970: 1_000_000)
        let after = Date(timeIntervalSince1970: 1_000_001)
        #expect(Conditions(ifModifiedSince: same).evaluate(etag: etag, lastModified: modified) == .notModified)
        #expect(Conditions(ifModifiedSince: before).evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifUnmodifiedSince: same).evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifUnmodifiedSince: before).evaluate(etag: etag, lastModified: modified) == .preconditionFailed("If-Unmodified-Since"))
        #expect(Conditions(ifUnmodifiedSince: after).evaluate(etag: etag, lastModified: modified) == .proceed)
    }

    @Test func precedence() {
        // If-Match true wins over If-Unmodified-Since false; If-None-Match false wins over If-Modified-Since.
        let before = Date(timeIntervalSince1970: 999_999)
        #expect(Conditions(ifMatch: "abc", ifUnmodifiedSince: before).evaluate(etag: etag, lastModified: modified) == .proceed)
        #expect(Conditions(ifNoneMatch: "\"x\"", ifModifiedSince: Date(timeIntervalSince1970: 2_000_000))
            .evaluate(etag: etag, lastModified: modified) == .proceed)
    }

    @Test func copyConditionsAlwaysFailWith412() {
        #expect(Conditions(ifNoneMatch: "\"abc\"").evaluateForCopy(etag: etag, lastModified: modified)
            == .preconditionFailed("x-amz-copy-source-if-none-match"))
        #expect(Conditions(ifMatch: "\"x\"").evaluateForCopy(etag: etag, lastModified: modified)
            == .preconditionFailed("x-amz-copy-source-if-match"))
    }

    @Test func copySourceHeader() throws {
        #expect(try CopySource(header: "/src/a%2Fb%20c") == CopySource(bucket: "src", key: "a/b c"))
        #expect(try CopySource(header: "src/dir/k+1?versionId=3") == CopySource(bucket: "src", key: "dir/k+1"))
        #expect(throws: S3Error.self) { try CopySource(header: "/src") }
        #expect(throws: S3Error.self) { try CopySource(header: "/src/") }
        #expect(throws: S3Error.self) { try CopySource(header: "") }
        #expect(throws: S3Error.self) { try CopySource(header: "/src/a%00b") }
    }
}
