import Foundation
import SigV4
import Testing

/// The Amazon S3 API Reference example "Signature Calculations for the Authorization Header:
/// Transferring Payload in Multiple Chunks": PUT /examplebucket/chunkObject.txt, 65536 + 1024 bytes
/// of `a` in two chunks plus the final empty chunk; seed and chunk signatures from the documentation.
///
/// Also the example of "Signature calculations for trailing headers (chunked uploads)": the same
/// object with STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER and an `x-amz-checksum-crc32c` trailer.
/// Its values (seed 106e2a8a…, chunk signatures b474d886…, 1c1344b1…, 2ca2aba2…, trailer signature
/// d81f82fc…) were taken from that page as quoted by several independent open-source S3
/// implementations; the seed was re-derived here from the documented request headers.
@Suite("S3 documentation vectors: aws-chunked uploads")
struct S3StreamingVectorTests {
    static let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    static let chunkSignatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]
    static let trailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
    static let trailerChunkSignatures = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ]
    static let trailerSignature = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"

    static let payload = [UInt8](repeating: UInt8(ascii: "a"), count: 66560)

    /// The documented request headers of the chunked upload, with its seed Authorization header.
    static func streamingRequest() -> SigV4Request {
        SigV4Request(
            method: "PUT", path: "/examplebucket/chunkObject.txt",
            headers: [
                ("Host", "s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                    + "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                    + "x-amz-decoded-content-length;x-amz-storage-class,Signature=\(seed)"),
                ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
                ("Content-Encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "66560"),
                ("Content-Length", "66824"),
            ])
    }

    /// The documented body: `10000;chunk-signature=…`, `400;chunk-signature=…`, `0;chunk-signature=…`.
    static func streamingBody(signatures: [String] = chunkSignatures) -> [UInt8] {
        var body: [UInt8] = []
        body += Array("10000;chunk-signature=\(signatures[0])\r\n".utf8)
        body += [UInt8](repeating: UInt8(ascii: "a"), count: 65536)
        body += Array("\r\n400;chunk-signature=\(signatures[1])\r\n".utf8)
        body += [UInt8](repeating: UInt8(ascii: "a"), count: 1024)
        body += Array("\r\n0;chunk-signature=\(signatures[2])\r\n\r\n".utf8)
        return body
    }

    static func trailerRequest() -> SigV4Request {
        SigV4Request(
            method: "PUT", path: "/examplebucket/chunkObject.txt",
            headers: [
                ("Host", "s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                    + "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;"
                    + "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=\(trailerSeed)"),
                ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
                ("Content-Encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "66560"),
                ("x-amz-trailer", "x-amz-checksum-crc32c"),
            ])
    }

    /// The trailer body as the SDKs frame it: the trailer lines follow the final chunk header directly.
    static func trailerBody(blankLineBeforeTrailer: Bool = false, closingBlankLine: Bool = true) -> [UInt8] {
        var body: [UInt8] = []
        body += Array("10000;chunk-signature=\(trailerChunkSignatures[0])\r\n".utf8)
        body += [UInt8](repeating: UInt8(ascii: "a"), count: 65536)
        body += Array("\r\n400;chunk-signature=\(trailerChunkSignatures[1])\r\n".utf8)
        body += [UInt8](repeating: UInt8(ascii: "a"), count: 1024)
        body += Array("\r\n0;chunk-signature=\(trailerChunkSignatures[2])\r\n".utf8)
        if blankLineBeforeTrailer { body += Array("\r\n".utf8) }
        body += Array("x-amz-checksum-crc32c:sOO8/Q==\r\n".utf8)
        body += Array("x-amz-trailer-signature:\(trailerSignature)\r\n".utf8)
        if closingBlankLine { body += Array("\r\n".utf8) }
        return body
    }

    static func decode(
        _ body: [UInt8], slice: Int, verified: SigV4VerifiedRequest, request: SigV4Request
    ) throws -> ([UInt8], AWSChunkedDecoder) {
        var decoder = try AWSChunkedDecoder(verified: verified, request: request)
        var output: [UInt8] = []
        var start = 0
        while start < body.count {
            let end = min(start + slice, body.count)
            output += try decoder.decode(Array(body[start..<end]))
            start = end
        }
        try decoder.finish()
        return (output, decoder)
    }

    @Test("seed: canonical request, string to sign and signature")
    func seedSignature() throws {
        let request = Self.streamingRequest().removingHeader("authorization")
        let canonical = SigV4Signer.canonicalRequest(for: request, mode: .s3)
        #expect(canonical == """
            PUT
            /examplebucket/chunkObject.txt

            content-encoding:aws-chunked
            content-length:66824
            host:s3.amazonaws.com
            x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD
            x-amz-date:20130524T000000Z
            x-amz-decoded-content-length:66560
            x-amz-storage-class:REDUCED_REDUNDANCY

            content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class
            STREAMING-AWS4-HMAC-SHA256-PAYLOAD
            """)
        let stringToSign = SigV4Signer.stringToSign(
            canonicalRequest: canonical, amzDate: S3Example.amzDate, scope: S3Example.scope)
        #expect(stringToSign == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            + "cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455")
        let key = SigV4Signer.signingKey(secretAccessKey: S3Example.credentials.secretAccessKey, scope: S3Example.scope)
        #expect(SigV4Signer.signature(stringToSign: stringToSign, signingKey: key) == Self.seed)
    }

    @Test("chunk strings to sign and signatures")
    func chunkSignatures() {
        let context = AWSChunkSigningContext(
            secretAccessKey: S3Example.credentials.secretAccessKey, amzDate: S3Example.amzDate,
            scope: S3Example.scope, seedSignature: Self.seed)
        let first = [UInt8](repeating: UInt8(ascii: "a"), count: 65536)
        #expect(context.chunkStringToSign(
            previousSignature: Self.seed, chunkHash: SigV4PayloadHash.sha256Hex(of: first)) == """
            AWS4-HMAC-SHA256-PAYLOAD
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a
            """)
        let signature1 = context.chunkSignature(previousSignature: Self.seed, data: first)
        #expect(signature1 == Self.chunkSignatures[0])
        let second = [UInt8](repeating: UInt8(ascii: "a"), count: 1024)
        let signature2 = context.chunkSignature(previousSignature: signature1, data: second)
        #expect(signature2 == Self.chunkSignatures[1])
        #expect(context.chunkSignature(previousSignature: signature2, data: []) == Self.chunkSignatures[2])
    }

    @Test("the documented upload verifies and decodes", arguments: [1, 7, 4096, 66824])
    func documentedUpload(slice: Int) throws {
        let request = Self.streamingRequest()
        let verified = try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        #expect(verified.signature == Self.seed)
        #expect(verified.payloadHash == .streamingSigned)
        let body = Self.streamingBody()
        #expect(body.count == 66824)
        let (output, decoder) = try Self.decode(body, slice: slice, verified: verified, request: request)
        #expect(output == Self.payload)
        #expect(decoder.decodedLength == 66560)
        #expect(decoder.isComplete)
        try decoder.checkDecodedLength(66560)
    }

    @Test("fed through UnsafeRawBufferPointer in 1000-byte slices")
    func rawBufferSlices() throws {
        let request = Self.streamingRequest()
        let verified = try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        var decoder = try AWSChunkedDecoder(verified: verified, request: request)
        let body = Self.streamingBody()
        var output: [UInt8] = []
        var start = 0
        while start < body.count {
            let end = min(start + 1000, body.count)
            let piece = Array(body[start..<end])
            try piece.withUnsafeBytes { buffer in
                output += try decoder.decode(buffer)
            }
            start = end
        }
        try decoder.finish()
        #expect(output == Self.payload)
    }

    @Test("a tampered data byte fails its chunk")
    func tamperedByte() throws {
        let request = Self.streamingRequest()
        let verified = try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        var body = Self.streamingBody()
        body[1000] = UInt8(ascii: "b")  // inside the first chunk's data (bytes 88..<65624)
        #expect(throws: SigV4Error.chunkSignatureDoesNotMatch(chunkIndex: 0)) {
            _ = try Self.decode(body, slice: 4096, verified: verified, request: request)
        }
        var second = Self.streamingBody()
        second[second.count - 100] = UInt8(ascii: "b")  // inside the second chunk's data (65712..<66736)
        #expect(throws: SigV4Error.chunkSignatureDoesNotMatch(chunkIndex: 1)) {
            _ = try Self.decode(second, slice: 7, verified: verified, request: request)
        }
    }

    @Test("a wrong chunk signature, and chunks out of order, fail")
    func wrongSignatures() throws {
        let request = Self.streamingRequest()
        let verified = try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        var signatures = Self.chunkSignatures
        signatures[2] = String(repeating: "1", count: 64)
        #expect(throws: SigV4Error.chunkSignatureDoesNotMatch(chunkIndex: 2)) {
            _ = try Self.decode(Self.streamingBody(signatures: signatures), slice: 4096, verified: verified, request: request)
        }
        // The trailer example's chunk signatures are chained from another seed.
        #expect(throws: SigV4Error.chunkSignatureDoesNotMatch(chunkIndex: 0)) {
            _ = try Self.decode(
                Self.streamingBody(signatures: Self.trailerChunkSignatures), slice: 4096, verified: verified,
                request: request)
        }
    }

    @Test("a truncated body fails on finish, and the failure sticks")
    func truncated() throws {
        let request = Self.streamingRequest()
        let verified = try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        var decoder = try AWSChunkedDecoder(verified: verified, request: request)
        let body = Self.streamingBody()
        let output = try decoder.decode(Array(body[0..<40000]))
        #expect(output.count == 40000 - 88)  // 88 = "10000;chunk-signature=<64 hex>\r\n"
        let atFinish = thrownError { try decoder.finish() }
        #expect(atFinish == .incompleteBody)
        let afterwards = thrownError { _ = try decoder.decode(Array(body[40000...])) }
        #expect(afterwards == .incompleteBody)

        // Cut inside the final chunk header.
        var cut = try AWSChunkedDecoder(verified: verified, request: request)
        _ = try cut.decode(Array(body[0..<(body.count - 10)]))
        let cutError = thrownError { try cut.finish() }
        #expect(cutError == .incompleteBody)
    }

    @Test("decoded length must equal x-amz-decoded-content-length")
    func decodedLength() throws {
        let request = Self.streamingRequest().settingHeader("x-amz-decoded-content-length", "66559")
        // The seed no longer matches a changed signed header…
        #expect(throws: SigV4Error.self) {
            try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        }
        // …so check the decoder on its own, with the documented context and a wrong expected length.
        let context = AWSChunkSigningContext(
            secretAccessKey: S3Example.credentials.secretAccessKey, amzDate: S3Example.amzDate,
            scope: S3Example.scope, seedSignature: Self.seed)
        var decoder = try AWSChunkedDecoder(
            payload: .streamingSigned, signing: context, expectedDecodedLength: 66559)
        let early = thrownError { _ = try decoder.decode(Self.streamingBody()) }
        #expect(early == .decodedLengthMismatch(expected: 66559, actual: 66560))
        var longer = try AWSChunkedDecoder(
            payload: .streamingSigned, signing: context, expectedDecodedLength: 70000)
        // Too short: known once the final chunk and its closing blank line have been read.
        let late = thrownError { _ = try longer.decode(Self.streamingBody()) }
        #expect(late == .decodedLengthMismatch(expected: 70000, actual: 66560))
        // Or at finish(), when the body stops right after the final chunk header.
        var unclosed = try AWSChunkedDecoder(
            payload: .streamingSigned, signing: context, expectedDecodedLength: 70000)
        _ = try unclosed.decode(Array(Self.streamingBody().dropLast(2)))
        let atFinish = thrownError { try unclosed.finish() }
        #expect(atFinish == .decodedLengthMismatch(expected: 70000, actual: 66560))
    }

    @Test("signed trailer: seed, chunk and trailer signatures, CRC32C")
    func signedTrailer() throws {
        let request = Self.trailerRequest()
        let canonical = SigV4Signer.canonicalRequest(for: request.removingHeader("authorization"), mode: .s3)
        let stringToSign = SigV4Signer.stringToSign(
            canonicalRequest: canonical, amzDate: S3Example.amzDate, scope: S3Example.scope)
        #expect(stringToSign.hasSuffix("44d48b8c2f70eae815a0198cc73d7a546a73a93359c070abbaa5e6c7de112559"))

        let verified = try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        #expect(verified.signature == Self.trailerSeed)
        #expect(verified.payloadHash == .streamingSignedWithTrailer)

        let context = verified.chunkSigningContext
        #expect(context.trailerStringToSign(
            previousSignature: Self.trailerChunkSignatures[2],
            canonicalTrailers: "x-amz-checksum-crc32c:sOO8/Q==\n") == """
            AWS4-HMAC-SHA256-TRAILER
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992
            1e376db7e1a34a8ef1c4bcee131a2d60a1cb62503747488624e10995f448d774
            """)
        #expect(context.trailerSignature(
            previousSignature: Self.trailerChunkSignatures[2],
            trailers: [("x-amz-checksum-crc32c", "sOO8/Q==")]) == Self.trailerSignature)

        for slice in [1, 7, 4096] {
            let (output, decoder) = try Self.decode(Self.trailerBody(), slice: slice, verified: verified, request: request)
            #expect(output == Self.payload)
            #expect(decoder.trailers.map(\.name) == ["x-amz-checksum-crc32c"])
            #expect(decoder.trailers.map(\.value) == ["sOO8/Q=="])
        }
        // The documentation's own layout: an empty line before the trailer, none after it.
        let (output, _) = try Self.decode(
            Self.trailerBody(blankLineBeforeTrailer: true, closingBlankLine: false), slice: 4096,
            verified: verified, request: request)
        #expect(output == Self.payload)
    }

    @Test("signed trailer: a wrong trailer signature or checksum fails")
    func signedTrailerTampered() throws {
        let request = Self.trailerRequest()
        let verified = try SigV4Verifier().verify(request, secretFor: S3Example.secret, now: S3Example.now)
        var body = Self.trailerBody()
        let text = String(decoding: body, as: UTF8.self)
        let wrongSignature = text.replacingOccurrences(of: Self.trailerSignature, with: String(repeating: "0", count: 64))
        #expect(throws: SigV4Error.trailerSignatureDoesNotMatch) {
            _ = try Self.decode(Array(wrongSignature.utf8), slice: 4096, verified: verified, request: request)
        }
        // A different checksum breaks the trailer signature before the checksum is even compared.
        let wrongChecksum = text.replacingOccurrences(of: "sOO8/Q==", with: "AAAAAA==")
        #expect(throws: SigV4Error.trailerSignatureDoesNotMatch) {
            _ = try Self.decode(Array(wrongChecksum.utf8), slice: 4096, verified: verified, request: request)
        }
        // Without the trailer signature.
        body = Array(text.replacingOccurrences(of: "x-amz-trailer-signature:\(Self.trailerSignature)\r\n", with: "").utf8)
        #expect(throws: SigV4Error.missingTrailerSignature) {
            _ = try Self.decode(body, slice: 4096, verified: verified, request: request)
        }
    }
}
