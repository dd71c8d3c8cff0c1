import Foundation
import SigV4
import Testing

/// Requests recorded from boto3/botocore 1.43.11 (a boto3 S3 client with a `before-send` hook that
/// captured the prepared request instead of sending it; access key AKIDINTEROP, secret
/// `interop/secret+KEY`). botocore does not add `Host` itself (the HTTP stack does), so it is
/// added here as urllib3 sends it. They check that what a real client signs, this verifier accepts.
@Suite("Requests recorded from botocore")
struct BotocoreRecordedTests {
    static func secret(_ id: String) -> String? { id == "AKIDINTEROP" ? "interop/secret+KEY" : nil }

    static let userAgent = "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux md/arch#x86_64 lang/python#3.11.7"

    @Test("PutObject with a key full of reserved characters")
    func putObject() throws {
        let request = SigV4Request(
            method: "PUT",
            path: "/bucket/dir/sub%20dir/%D0%BA%D0%BB%D1%8E%D1%87%2Bplus%25pct%3Deq%26amp%3B%3Fq%23h~t.txt",
            query: "",
            headers: [
                ("Content-Type", "text/plain"),
                ("x-amz-meta-Color", "blue  green"),
                ("User-Agent", Self.userAgent),
                ("Expect", "100-continue"),
                ("X-Amz-Date", "20261126T012143Z"),
                ("X-Amz-Content-SHA256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDINTEROP/20261126/us-west-2/s3/aws4_request, "
                    + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-color, "
                    + "Signature=e9faeaf987d3fb66d7b3b4d06001818c254c0c985adfaf0e8e3ffe0fce3dd157"),
                ("amz-sdk-invocation-id", "af32acd0-946e-4dc8-b3e7-58145a31eab6"),
                ("amz-sdk-request", "attempt=1"),
                ("Content-Length", "5"),
                ("Host", "127.0.0.1:9000"),
            ])
        #expect(request.payloadHash == SigV4PayloadHash.sha256Hex(of: Array("hello".utf8)))
        let now = try #require(SigV4Date.parseAmzDate("20261126T012143Z"))
        let verified = try SigV4Verifier(region: "us-west-2").verify(request, secretFor: Self.secret, now: now)
        #expect(verified.accessKeyID == "AKIDINTEROP")
    }

    @Test("ListObjectsV2 with an encoded prefix, delimiter and continuation token")
    func listObjects() throws {
        let request = SigV4Request(
            method: "GET", path: "/bucket",
            query: "list-type=2&prefix=a%20b%2F&delimiter=%2F&continuation-token=tok%2Ben%2F%3Dx&encoding-type=url",
            headers: [
                ("User-Agent", Self.userAgent),
                ("X-Amz-Date", "20261126T012143Z"),
                ("X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDINTEROP/20261126/us-west-2/s3/aws4_request, "
                    + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                    + "Signature=9ead327ded4ea8218c3c6d108acb69a123260cba25fb149bc446c3dbd26bca09"),
                ("amz-sdk-invocation-id", "e5482212-af2a-4699-898f-77836c9b4d2d"),
                ("amz-sdk-request", "attempt=1"),
                ("Host", "127.0.0.1:9000"),
            ])
        let now = try #require(SigV4Date.parseAmzDate("20261126T012143Z"))
        _ = try SigV4Verifier().verify(request, secretFor: Self.secret, now: now)
    }

    @Test("generate_presigned_url with a response-content-disposition parameter")
    func presigned() throws {
        let request = SigV4Request(
            method: "GET", path: "/bucket/photos/a%20b%2Bc.jpg",
            query: "response-content-disposition=attachment%3B%20filename%3D%22x%20y.jpg%22"
                + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDINTEROP%2F20261126%2Fus-west-2%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20261126T012144Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=81394d2a22c629cbd17ddd26131d0c9f228da9d1187874d56d28df100003290b",
            headers: [("Host", "127.0.0.1:9000"), ("User-Agent", "curl/8.5.0"), ("Accept", "*/*")])
        let now = try #require(SigV4Date.parseAmzDate("20261126T013000Z"))
        let verified = try SigV4Verifier().verify(request, secretFor: Self.secret, now: now)
        #expect(verified.isPresigned)
    }

    @Test("PutObject with ChecksumAlgorithm=CRC32: STREAMING-UNSIGNED-PAYLOAD-TRAILER", arguments: [1, 13, 4096])
    func unsignedTrailer(slice: Int) throws {
        let request = SigV4Request(
            method: "PUT", path: "/bucket/k",
            headers: [
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("User-Agent", Self.userAgent),
                ("Expect", "100-continue"),
                ("Transfer-Encoding", "chunked"),
                ("Content-Encoding", "aws-chunked"),
                ("X-Amz-Trailer", "x-amz-checksum-crc32"),
                ("X-Amz-Decoded-Content-Length", "3000"),
                ("host", "127.0.0.1:9443"),
                ("X-Amz-Date", "20261126T012226Z"),
                ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDINTEROP/20261126/us-east-1/s3/aws4_request, "
                    + "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;"
                    + "x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer, "
                    + "Signature=96651333e672958b544b5ada0d17106d1cf860524e0bb919b91a4f303ff839c6"),
                ("amz-sdk-invocation-id", "807c8a3f-3181-44ff-b865-115fd6ab54a8"),
                ("amz-sdk-request", "attempt=1"),
            ])
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 3000)
        let body = Array("bb8\r\n".utf8) + payload + Array("\r\n0\r\nx-amz-checksum-crc32:mO4X5w==\r\n\r\n".utf8)

        let now = try #require(SigV4Date.parseAmzDate("20261126T012226Z"))
        let verified = try SigV4Verifier().verify(request, secretFor: Self.secret, now: now)
        #expect(verified.payloadHash == .streamingUnsignedWithTrailer)

        var decoder = try AWSChunkedDecoder(verified: verified, request: request)
        var output: [UInt8] = []
        var start = 0
        while start < body.count {
            let end = min(start + slice, body.count)
            output += try decoder.decode(Array(body[start..<end]))
            start = end
        }
        try decoder.finish()
        #expect(output == payload)
        #expect(decoder.trailers.first?.value == "mO4X5w==")

        // The same body with a corrupted byte fails its CRC32.
        var corrupted = body
        corrupted[100] = UInt8(ascii: "y")
        var strict = try AWSChunkedDecoder(verified: verified, request: request)
        let error = thrownError {
            _ = try strict.decode(corrupted)
            try strict.finish()
        }
        guard case .checksumMismatch(let algorithm, _, _)? = error else {
            Issue.record("expected checksumMismatch, got \(String(describing: error))")
            return
        }
        #expect(algorithm == "x-amz-checksum-crc32")
    }
}
