import Foundation
import SigV4
import Testing

/// The AWS Signature Version 4 test suite (fixtures/sigv4, see SOURCE.txt there), run the way
/// botocore runs it: each `.req` is parsed, signed in `.generic` mode with the suite's credentials,
/// and the canonical request, string to sign and Authorization header compared with `.creq`,
/// `.sts` and `.authz`.
@Suite("AWS SigV4 test suite")
struct AWSTestSuiteTests {
    static let credentials = SigV4Credentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let amzDate = "20150830T123600Z"
    static let scope = SigV4Scope(date: "20150830", region: "us-east-1", service: "service")

    /// The cases botocore's tests/unit/auth/test_sigv4.py skips (TESTS_TO_IGNORE), with its reasons.
    static let botocoreSkips: [String: String] = [
        "normalize-path/get-space": "bad request-line syntax: Python's HTTP parser chokes on the raw space",
        "get-vanilla-query-order-key-case": "multiple query params of the same key not supported by the SDKs",
        "get-vanilla-query-order-key": "multiple query params of the same key not supported by the SDKs",
        "get-vanilla-query-order-value": "multiple query params of the same key not supported by the SDKs",
    ]

    static let runCases: [String] = Fixtures.suiteCases().filter { botocoreSkips[$0] == nil }

    @Test("all 34 cases are present, the skipped ones among them")
    func fixturesArePresent() {
        let all = Fixtures.suiteCases()
        #expect(all.count == 34, "fixtures not found under \(Fixtures.suiteDirectory.path)")
        for skipped in Self.botocoreSkips.keys {
            #expect(all.contains(skipped))
        }
    }

    @Test("canonical request, string to sign and Authorization match", arguments: AWSTestSuiteTests.runCases)
    func suiteCase(_ name: String) throws {
        try Self.check(name)
    }

    /// Not part of botocore's run; our parser and canonicalizer handle these too, so they are kept
    /// as a separate, informative test.
    @Test("cases botocore skips also match", arguments: AWSTestSuiteTests.botocoreSkips.keys.sorted())
    func botocoreSkippedCase(_ name: String) throws {
        try Self.check(name)
    }

    static func check(_ name: String) throws {
        let raw = try RawHTTPRequest(try Fixtures.suiteFile(name, "req"))
        let expectedCanonical = try Fixtures.suiteFile(name, "creq")
        let expectedStringToSign = try Fixtures.suiteFile(name, "sts")
        let expectedAuthorization = try Fixtures.suiteFile(name, "authz")

        // Like botocore: a session token in the canonical request means the credentials carry one,
        // and the signer adds X-Amz-Security-Token (post-sts-header-after adds it after signing).
        let tokenPrefix = "x-amz-security-token:"
        let token = expectedCanonical.split(separator: "\n").first { $0.hasPrefix(tokenPrefix) }
            .map { String($0.dropFirst(tokenPrefix.count)) }
        var credentials = Self.credentials
        credentials.sessionToken = token

        let request = SigV4Request(
            method: raw.method, target: raw.target, headers: raw.headers,
            payloadHash: SigV4PayloadHash.sha256Hex(of: raw.body))
        let signed = SigV4Signer.sign(
            request, credentials: credentials, amzDate: amzDate, region: "us-east-1", service: "service",
            mode: .generic)

        let canonical = SigV4Signer.canonicalRequest(for: signed, mode: .generic)
        #expect(canonical == expectedCanonical, "\(name): canonical request")
        let stringToSign = SigV4Signer.stringToSign(canonicalRequest: canonical, amzDate: amzDate, scope: scope)
        #expect(stringToSign == expectedStringToSign, "\(name): string to sign")
        #expect(signed.header("authorization") == expectedAuthorization, "\(name): Authorization")

        // The verifier accepts what the signer produced, at the suite's time.
        let verifier = SigV4Verifier(mode: .generic, service: "service", region: "us-east-1")
        let now = try #require(SigV4Date.parseAmzDate(amzDate))
        let verified = try verifier.verify(
            signed, secretFor: { $0 == credentials.accessKeyID ? credentials.secretAccessKey : nil }, now: now)
        #expect(verified.accessKeyID == "AKIDEXAMPLE")
        #expect(verified.scope == scope)
    }
}
