import Foundation
import SigV4
import Testing

/// The worked examples of the Amazon S3 API Reference, "Signature Calculations for the Authorization
/// Header: Transferring Payload in a Single Chunk" (GET Object, PUT Object, GET Bucket Lifecycle,
/// GET Bucket) and "Authenticating Requests: Using Query Parameters" (the presigned GET).
/// Credentials AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 20130524T000000Z,
/// us-east-1, bucket examplebucket. Expected values are copied from the documentation.
@Suite("S3 documentation vectors: single chunk and presigned")
struct S3DocumentationVectorTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path: String
        var query: String
        var headers: [(name: String, value: String)]
        var payloadHash: String
        var canonicalRequest: String
        var stringToSignHash: String
        var signature: String
        var signedHeaders: String
        var testDescription: String { name }
    }

    static let examples: [Example] = [
        Example(
            name: "GET Object (Range)",
            method: "GET", path: "/test.txt", query: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", S3Example.emptySHA256),
                ("x-amz-date", "20130524T000000Z"),
            ],
            payloadHash: S3Example.emptySHA256,
            canonicalRequest: """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSignHash: "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            signedHeaders: "host;range;x-amz-content-sha256;x-amz-date"),
        Example(
            name: "PUT Object (test$file.text)",
            method: "PUT", path: "/test%24file.text", query: "",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ],
            payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            canonicalRequest: """
                PUT
                /test%24file.text

                date:Fri, 24 May 2013 00:00:00 GMT
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                x-amz-date:20130524T000000Z
                x-amz-storage-class:REDUCED_REDUNDANCY

                date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
                44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                """,
            stringToSignHash: "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"),
        Example(
            name: "GET Bucket Lifecycle (?lifecycle)",
            method: "GET", path: "/", query: "lifecycle",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", S3Example.emptySHA256),
            ],
            payloadHash: S3Example.emptySHA256,
            canonicalRequest: """
                GET
                /
                lifecycle=
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSignHash: "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            signedHeaders: "host;x-amz-content-sha256;x-amz-date"),
        Example(
            name: "GET Bucket (List Objects, ?max-keys=2&prefix=J)",
            method: "GET", path: "/", query: "max-keys=2&prefix=J",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", S3Example.emptySHA256),
            ],
            payloadHash: S3Example.emptySHA256,
            canonicalRequest: """
                GET
                /
                max-keys=2&prefix=J
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSignHash: "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            signedHeaders: "host;x-amz-content-sha256;x-amz-date"),
    ]

    @Test("each stage matches the documentation", arguments: S3DocumentationVectorTests.examples)
    func singleChunk(_ example: Example) throws {
        let request = SigV4Request(
            method: example.method, path: example.path, query: example.query, headers: example.headers,
            payloadHash: example.payloadHash)

        let canonical = SigV4Signer.canonicalRequest(for: request, mode: .s3)
        #expect(canonical == example.canonicalRequest)

        let stringToSign = SigV4Signer.stringToSign(
            canonicalRequest: canonical, amzDate: S3Example.amzDate, scope: S3Example.scope)
        #expect(stringToSign == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            + example.stringToSignHash)

        let key = SigV4Signer.signingKey(
            secretAccessKey: S3Example.credentials.secretAccessKey, scope: S3Example.scope)
        #expect(SigV4Signer.signature(stringToSign: stringToSign, signingKey: key) == example.signature)

        let authorization = SigV4Signer.authorizationHeader(
            for: request, credentials: S3Example.credentials, amzDate: S3Example.amzDate,
            region: "us-east-1", service: "s3", mode: .s3)
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=\(example.signedHeaders), Signature=\(example.signature)")

        // The header exactly as the documentation prints it (no spaces after the commas) verifies.
        let documented = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=\(example.signedHeaders),Signature=\(example.signature)"
        var sent = request
        sent.headers.append((name: "Authorization", value: documented))
        let verified = try SigV4Verifier().verify(sent, secretFor: S3Example.secret, now: S3Example.now)
        #expect(verified.signature == example.signature)
        #expect(verified.accessKeyID == "AKIAIOSFODNN7EXAMPLE")
        #expect(verified.scope == S3Example.scope)
        #expect(verified.isPresigned == false)
    }

    @Test("PUT Object: the body hash, and the key sent with a raw $ canonicalizes the same")
    func putObjectDetails() {
        #expect(SigV4PayloadHash.sha256Hex(of: Array("Welcome to Amazon S3.".utf8))
            == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(SigV4Canonicalizer.canonicalURI("/test$file.text", mode: .s3) == "/test%24file.text")
        #expect(SigV4Canonicalizer.canonicalURI("/test%24file.text", mode: .s3) == "/test%24file.text")
    }

    @Test("presigned GET Object (X-Amz-Expires=86400)")
    func presignedURL() throws {
        let request = SigV4Request(
            method: "GET", path: "/test.txt", query: "",
            headers: [("Host", "examplebucket.s3.amazonaws.com")],
            payloadHash: SigV4PayloadHash.unsignedPayload)
        let presigned = SigV4Signer.presign(
            request, credentials: S3Example.credentials, amzDate: S3Example.amzDate, expires: 86400,
            region: "us-east-1", service: "s3", mode: .s3)

        #expect(presigned.canonicalRequest == """
            GET
            /test.txt
            X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
            host:examplebucket.s3.amazonaws.com

            host
            UNSIGNED-PAYLOAD
            """)
        #expect(presigned.stringToSign == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            + "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04")
        #expect(presigned.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        let documentedQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        #expect(presigned.query == documentedQuery)
        #expect(presigned.parameters.map(\.name) == [
            "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
            "X-Amz-Signature",
        ])

        // The documented URL verifies for its whole lifetime, and not a second longer.
        var sent = request
        sent.query = documentedQuery
        let verifier = SigV4Verifier()
        let verified = try verifier.verify(sent, secretFor: S3Example.secret, now: S3Example.now)
        #expect(verified.isPresigned)
        #expect(verified.payloadHash == .unsigned)
        #expect(verified.expiresAt == S3Example.now.addingTimeInterval(86400))
        _ = try verifier.verify(sent, secretFor: S3Example.secret, now: S3Example.now.addingTimeInterval(86400))
        #expect(throws: SigV4Error.presignExpired) {
            try verifier.verify(sent, secretFor: S3Example.secret, now: S3Example.now.addingTimeInterval(86401))
        }
    }
}
