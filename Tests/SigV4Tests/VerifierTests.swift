import Foundation
import SigV4
import Testing

@Suite("SigV4Verifier")
struct VerifierTests {
    static let credentials = SigV4Credentials(accessKeyID: "AKIDTESTKEY", secretAccessKey: "s3cr3t/Key+Value")
    static let amzDate = "20240102T030405Z"
    /// 2024-01-02T03:04:05Z.
    static let now = Date(timeIntervalSince1970: 1_704_164_645)
    static let body = Array("hello, signed world".utf8)

    static func secret(_ id: String) -> String? {
        id == credentials.accessKeyID ? credentials.secretAccessKey : nil
    }

    /// A PUT with a query, a content type and user metadata, signed for S3 in eu-west-1.
    static func signedRequest() -> SigV4Request {
        let request = SigV4Request(
            method: "PUT", path: "/bucket/some%20key+%24.txt", query: "partNumber=1&uploadId=abc%2Fdef",
            headers: [
                ("Host", "localhost:9000"),
                ("Content-Type", "text/plain"),
                ("x-amz-meta-color", "  blue   green "),
            ],
            payloadHash: SigV4PayloadHash.sha256Hex(of: body))
        return SigV4Signer.sign(
            request, credentials: credentials, amzDate: amzDate, region: "eu-west-1", service: "s3", mode: .s3)
    }

    func verify(_ request: SigV4Request, at time: Date = VerifierTests.now, verifier: SigV4Verifier = SigV4Verifier())
        throws(SigV4Error) -> SigV4VerifiedRequest
    {
        try verifier.verify(request, secretFor: Self.secret, now: time)
    }

    @Test("a signed request verifies")
    func verifies() throws {
        let request = Self.signedRequest()
        #expect(request.header("x-amz-content-sha256") == SigV4PayloadHash.sha256Hex(of: Self.body))
        #expect(request.header("x-amz-date") == Self.amzDate)
        let verified = try verify(request)
        #expect(verified.accessKeyID == "AKIDTESTKEY")
        #expect(verified.scope == SigV4Scope(date: "20240102", region: "eu-west-1", service: "s3"))
        #expect(verified.amzDate == Self.amzDate)
        #expect(verified.isPresigned == false)
        #expect(verified.payloadHash == .sha256(SigV4PayloadHash.sha256Hex(of: Self.body)))
        #expect(verified.signedHeaders == ["content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-meta-color"])
        let header = try #require(request.header("authorization"))
        let parsed = try SigV4Authorization.parse(header: header)
        #expect(verified.signature == parsed.signature)
        // The verifier pinned to the right region accepts it.
        _ = try verify(request, verifier: SigV4Verifier(region: "eu-west-1"))
    }

    @Test("changing anything signed breaks the signature")
    func tampering() throws {
        let original = Self.signedRequest()
        var changes: [(String, SigV4Request)] = []

        var header = original
        header = header.settingHeader("Content-Type", "text/html")
        changes.append(("a signed header", header))

        var metadata = original
        metadata = metadata.settingHeader("x-amz-meta-color", "red")
        changes.append(("an x-amz-meta header", metadata))

        var path = original
        path.path = "/bucket/other%20key+%24.txt"
        changes.append(("the path", path))

        var encodedSlash = original
        encodedSlash.path = "/bucket/some%20key%2B%24.txt%2Fx"
        changes.append(("the path's encoding of a new segment", encodedSlash))

        var query = original
        query.query = "partNumber=2&uploadId=abc%2Fdef"
        changes.append(("the query", query))

        var extraParameter = original
        extraParameter.query += "&versionId=1"
        changes.append(("an added query parameter", extraParameter))

        var payload = original
        payload.payloadHash = SigV4PayloadHash.sha256Hex(of: Array("another body".utf8))
        changes.append(("the payload hash", payload))

        var method = original
        method.method = "POST"
        changes.append(("the method", method))

        for (what, request) in changes {
            let error = thrownError { _ = try verify(request) }
            #expect(isSignatureMismatch(error), "changing \(what) gave \(String(describing: error))")
        }

        // Same request, wrong secret.
        let wrongSecret = SigV4Verifier()
        let error = thrownError {
            _ = try wrongSecret.verify(original, secretFor: { _ in "not the secret" }, now: Self.now)
        }
        #expect(isSignatureMismatch(error))
    }

    @Test("the mismatch error carries the server's canonical request and string to sign")
    func mismatchDetails() throws {
        var request = Self.signedRequest()
        request.method = "DELETE"
        let error = thrownError { _ = try verify(request) }
        guard case .signatureDoesNotMatch(let canonical, let stringToSign)? = error else {
            Issue.record("expected signatureDoesNotMatch, got \(String(describing: error))")
            return
        }
        #expect(canonical.hasPrefix("DELETE\n/bucket/some%20key%2B%24.txt\npartNumber=1&uploadId=abc%2Fdef\n"))
        #expect(stringToSign.hasPrefix("AWS4-HMAC-SHA256\n\(Self.amzDate)\n20240102/eu-west-1/s3/aws4_request\n"))
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error?.httpStatus == 403)
    }

    @Test("unknown access key")
    func unknownKey() {
        let error = thrownError {
            _ = try SigV4Verifier().verify(Self.signedRequest(), secretFor: { _ in nil }, now: Self.now)
        }
        #expect(error == .unknownAccessKey("AKIDTESTKEY"))
        #expect(error?.code == "InvalidAccessKeyId")
    }

    @Test("the clock skew is 15 minutes either way")
    func clockSkew() throws {
        let request = Self.signedRequest()
        _ = try verify(request, at: Self.now.addingTimeInterval(15 * 60))
        _ = try verify(request, at: Self.now.addingTimeInterval(-15 * 60))
        let late = Self.now.addingTimeInterval(15 * 60 + 1)
        #expect(thrownError { _ = try verify(request, at: late) }
            == .requestTimeTooSkewed(requestTime: Self.now, serverTime: late))
        let early = Self.now.addingTimeInterval(-(15 * 60 + 1))
        #expect(thrownError { _ = try verify(request, at: early) }
            == .requestTimeTooSkewed(requestTime: Self.now, serverTime: early))
    }

    @Test("the date: missing, malformed, or from the Date header")
    func dates() throws {
        let request = Self.signedRequest()
        #expect(thrownError { _ = try verify(request.removingHeader("x-amz-date")) } == .missingDate)
        #expect(thrownError { _ = try verify(request.settingHeader("X-Amz-Date", "2024-01-02T03:04:05Z")) }
            == .malformedDate("2024-01-02T03:04:05Z"))

        // Signed with only a Date header: the string to sign uses its ISO 8601 basic form.
        let dated = SigV4Request(
            method: "GET", path: "/bucket/key",
            headers: [("Host", "localhost"), ("Date", "Tue, 02 Jan 2024 03:04:05 GMT")],
            payloadHash: SigV4PayloadHash.unsignedPayload)
        let authorization = SigV4Signer.authorizationHeader(
            for: dated, credentials: Self.credentials, amzDate: Self.amzDate, region: "us-east-1", service: "s3",
            mode: .s3)
        var sent = dated
        sent.headers.append((name: "Authorization", value: authorization))
        let verified = try verify(sent)
        #expect(verified.amzDate == Self.amzDate)
    }

    @Test("host and every x-amz-* header must be signed")
    func requiredSignedHeaders() throws {
        let hostless = SigV4Signer.sign(
            SigV4Request(method: "GET", path: "/b/k", headers: [], payloadHash: SigV4PayloadHash.unsignedPayload),
            credentials: Self.credentials, amzDate: Self.amzDate, region: "us-east-1", service: "s3", mode: .s3)
        #expect(thrownError { _ = try verify(hostless) } == .headerNotSigned("host"))

        var extra = Self.signedRequest()
        extra.headers.append((name: "X-Amz-Copy-Source", value: "/other/object"))
        #expect(thrownError { _ = try verify(extra) } == .headerNotSigned("x-amz-copy-source"))
        // Unless the verifier is told not to care.
        let lenient = SigV4Verifier(requireSignedAmzHeaders: false)
        _ = try verify(extra, verifier: lenient)

        // Other unsigned headers are fine.
        var agent = Self.signedRequest()
        agent.headers.append((name: "User-Agent", value: "curl/8"))
        agent.headers.append((name: "Accept", value: "*/*"))
        _ = try verify(agent)

        // A signed header that is missing from the request.
        let missing = Self.signedRequest().removingHeader("content-type")
        #expect(thrownError { _ = try verify(missing) } == .missingSignedHeader("content-type"))
    }

    @Test("scope checks: region, service, credential date")
    func scope() throws {
        let request = Self.signedRequest()
        let otherRegion = thrownError { _ = try verify(request, verifier: SigV4Verifier(region: "us-east-1")) }
        guard case .invalidCredentialScope? = otherRegion else {
            Issue.record("expected invalidCredentialScope, got \(String(describing: otherRegion))")
            return
        }
        let otherService = thrownError { _ = try verify(request, verifier: SigV4Verifier(service: "sts")) }
        guard case .invalidCredentialScope? = otherService else {
            Issue.record("expected invalidCredentialScope, got \(String(describing: otherService))")
            return
        }
        // Scope dated the day before the request.
        let header = try #require(request.header("authorization"))
        let shifted = request.settingHeader("Authorization", header.replacingOccurrences(of: "/20240102/", with: "/20240101/"))
        let wrongDay = thrownError { _ = try verify(shifted) }
        guard case .invalidCredentialScope? = wrongDay else {
            Issue.record("expected invalidCredentialScope, got \(String(describing: wrongDay))")
            return
        }
    }

    @Test("malformed and foreign Authorization headers")
    func malformedAuthorization() {
        let base = Self.signedRequest()
        let cases: [(String, (SigV4Error?) -> Bool)] = [
            ("AWS AKIDTESTKEY:c2lnbmF0dXJl", { $0 == .unsupportedAlgorithm("AWS") }),
            ("AWS4-ECDSA-P256-SHA256 Credential=x", { $0 == .unsupportedAlgorithm("AWS4-ECDSA-P256-SHA256") }),
            ("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/20240102/eu-west-1/s3/aws4_request", {
                if case .malformedAuthorization? = $0 { return true } else { return false }
            }),
            ("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/20240102/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=xyz", {
                if case .malformedAuthorization? = $0 { return true } else { return false }
            }),
            ("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/20240102/s3/aws4_request, SignedHeaders=host, Signature="
                + String(repeating: "a", count: 64), {
                    if case .malformedAuthorization? = $0 { return true } else { return false }
                }),
            ("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/20240102/eu-west-1/s3/aws5_request, SignedHeaders=host, Signature="
                + String(repeating: "a", count: 64), {
                    if case .invalidCredentialScope? = $0 { return true } else { return false }
                }),
            ("", {
                if case .malformedAuthorization? = $0 { return true } else { return false }
            }),
        ]
        for (header, matches) in cases {
            let error = thrownError { _ = try verify(base.settingHeader("Authorization", header)) }
            #expect(matches(error), "\(header) gave \(String(describing: error))")
        }
    }

    @Test("a request without authentication")
    func anonymous() {
        let request = SigV4Request(method: "GET", path: "/bucket/key", headers: [("Host", "localhost")])
        #expect(SigV4Verifier.isAuthenticated(request) == false)
        #expect(SigV4Verifier.isAuthenticated(Self.signedRequest()))
        #expect(thrownError { _ = try verify(request) } == .missingAuthentication)
    }

    @Test("x-amz-content-sha256 must be a known value")
    func payloadHashValues() {
        var request = Self.signedRequest()
        request.payloadHash = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
        #expect(thrownError { _ = try verify(request) } == .invalidContentSHA256("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"))
        #expect(SigV4PayloadHash(SigV4PayloadHash.streamingUnsignedPayloadTrailer) == .streamingUnsignedWithTrailer)
        #expect(SigV4PayloadHash("UNSIGNED-PAYLOAD") == .unsigned)
        #expect(SigV4PayloadHash("abc") == nil)
        // The convenience initializer reads the header.
        let read = SigV4Request(method: "PUT", path: "/b/k", headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")])
        #expect(read.payloadHash == "UNSIGNED-PAYLOAD")
    }

    @Test("session tokens are signed and reported")
    func sessionToken() throws {
        var credentials = Self.credentials
        credentials.sessionToken = "token/with+chars=="
        let request = SigV4Signer.sign(
            SigV4Request(method: "GET", path: "/b/k", headers: [("Host", "localhost")], payloadHash: SigV4PayloadHash.unsignedPayload),
            credentials: credentials, amzDate: Self.amzDate, region: "us-east-1", service: "s3", mode: .s3)
        let verified = try verify(request)
        #expect(verified.securityToken == "token/with+chars==")
        #expect(verified.signedHeaders.contains("x-amz-security-token"))
    }

    // MARK: - Presigned URLs

    static func presignedRequest(expires: Int = 3600) -> SigV4Request {
        let base = SigV4Request(
            method: "GET", path: "/bucket/photos/caf%C3%A9%20au%20lait.jpg", query: "response-content-type=image%2Fjpeg",
            headers: [("Host", "127.0.0.1:9000")], payloadHash: SigV4PayloadHash.unsignedPayload)
        let presigned = SigV4Signer.presign(
            base, credentials: credentials, amzDate: amzDate, expires: expires, region: "us-east-1", service: "s3",
            mode: .s3)
        var request = base
        request.query = presigned.query
        return request
    }

    @Test("a presigned URL verifies until it expires")
    func presigned() throws {
        let request = Self.presignedRequest()
        let parameters = try #require(try SigV4PresignedParameters.parse(query: request.query))
        #expect(parameters.expires == 3600)
        #expect(parameters.authorization.signedHeaders == ["host"])
        #expect(parameters.amzDate == Self.amzDate)

        let verified = try verify(request, at: Self.now.addingTimeInterval(10))
        #expect(verified.isPresigned)
        #expect(verified.payloadHash == .unsigned)
        #expect(verified.expiresAt == Self.now.addingTimeInterval(3600))
        _ = try verify(request, at: Self.now.addingTimeInterval(3600))
        #expect(thrownError { _ = try verify(request, at: Self.now.addingTimeInterval(3601)) } == .presignExpired)
        // Dated further in the future than the allowed skew.
        #expect(thrownError { _ = try verify(request, at: Self.now.addingTimeInterval(-16 * 60)) } == .presignNotYetValid)
        _ = try verify(request, at: Self.now.addingTimeInterval(-14 * 60))
    }

    @Test("a tampered presigned URL fails")
    func presignedTampering() throws {
        let request = Self.presignedRequest()
        var path = request
        path.path = "/bucket/photos/other.jpg"
        var query = request
        query.query = request.query.replacingOccurrences(of: "image%2Fjpeg", with: "text%2Fhtml")
        var expiry = request
        expiry.query = request.query.replacingOccurrences(of: "X-Amz-Expires=3600", with: "X-Amz-Expires=7200")
        var host = request
        host = host.settingHeader("Host", "evil.example")
        for tampered in [path, query, expiry, host] {
            #expect(isSignatureMismatch(thrownError { _ = try verify(tampered) }))
        }
        var unsignedAmz = request
        unsignedAmz.headers.append((name: "x-amz-acl", value: "public-read"))
        #expect(thrownError { _ = try verify(unsignedAmz) } == .headerNotSigned("x-amz-acl"))
    }

    @Test("presign parameters: expiry bounds, missing and repeated parameters")
    func presignParameters() throws {
        let request = Self.presignedRequest()
        for bad in ["0", "604801", "-1", "abc", "1.5"] {
            var changed = request
            changed.query = request.query.replacingOccurrences(of: "X-Amz-Expires=3600", with: "X-Amz-Expires=\(bad)")
            #expect(thrownError { _ = try verify(changed) } == .invalidExpires(bad))
        }
        // The longest lifetime is accepted (the signature no longer matches, which is checked last).
        var week = request
        week.query = request.query.replacingOccurrences(of: "X-Amz-Expires=3600", with: "X-Amz-Expires=604800")
        #expect(isSignatureMismatch(thrownError { _ = try verify(week) }))

        var missing = request
        missing.query = request.query.replacingOccurrences(of: "&X-Amz-SignedHeaders=host", with: "")
        #expect(thrownError { _ = try verify(missing) } == .malformedPresignedQuery("X-Amz-SignedHeaders is missing"))

        var repeated = request
        repeated.query += "&X-Amz-Date=\(Self.amzDate)"
        #expect(thrownError { _ = try verify(repeated) } == .malformedPresignedQuery("X-Amz-Date is repeated"))

        var algorithm = request
        algorithm.query = request.query.replacingOccurrences(
            of: "X-Amz-Algorithm=AWS4-HMAC-SHA256", with: "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256")
        #expect(thrownError { _ = try verify(algorithm) } == .unsupportedAlgorithm("AWS4-ECDSA-P256-SHA256"))

        // Presigning clamps the lifetime to seven days.
        #expect(try SigV4PresignedParameters.parse(query: Self.presignedRequest(expires: 10_000_000).query)?.expires == 604_800)
        #expect(try SigV4PresignedParameters.parse(query: "a=b") == nil)
    }

    @Test("presigning with a session token")
    func presignedToken() throws {
        var credentials = Self.credentials
        credentials.sessionToken = "FQoG/token+value=="
        let base = SigV4Request(
            method: "PUT", path: "/bucket/key", headers: [("Host", "localhost")],
            payloadHash: SigV4PayloadHash.unsignedPayload)
        let presigned = SigV4Signer.presign(
            base, credentials: credentials, amzDate: Self.amzDate, expires: 60, region: "us-east-1", service: "s3",
            mode: .s3)
        #expect(presigned.parameters.contains { $0.name == "X-Amz-Security-Token" && $0.value == "FQoG/token+value==" })
        var request = base
        request.query = presigned.query
        let verified = try verify(request)
        #expect(verified.securityToken == "FQoG/token+value==")
    }
}
