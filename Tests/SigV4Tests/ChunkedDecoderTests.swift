import Foundation
import SigV4
import Testing

/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` bodies as botocore (boto3, the aws CLI) frames them:
/// `hex-size\r\n<data>\r\n` … `0\r\n` + `x-amz-checksum-crc32:<base64>\r\n` + `\r\n`.
/// The bodies and CRC values were produced with botocore's AwsChunkedWrapper and zlib.
@Suite("AWSChunkedDecoder: unsigned trailer and malformed input")
struct ChunkedDecoderTests {
    static func decoder(
        trailers: [String] = ["x-amz-checksum-crc32"], expectedLength: Int64? = nil
    ) throws -> AWSChunkedDecoder {
        try AWSChunkedDecoder(
            payload: .streamingUnsignedWithTrailer, signing: nil, declaredTrailers: trailers,
            expectedDecodedLength: expectedLength)
    }

    static func decodeAll(_ body: String, decoder: AWSChunkedDecoder, slice: Int = 3) throws -> ([UInt8], AWSChunkedDecoder) {
        var decoder = decoder
        let bytes = Array(body.utf8)
        var output: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + slice, bytes.count)
            output += try decoder.decode(Array(bytes[start..<end]))
            start = end
        }
        try decoder.finish()
        return (output, decoder)
    }

    @Test("a correct crc32 trailer", arguments: [1, 2, 3, 5, 100])
    func correctCRC32(slice: Int) throws {
        let (output, decoder) = try Self.decodeAll(
            "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n",
            decoder: try Self.decoder(expectedLength: 3), slice: slice)
        #expect(output == Array("abc".utf8))
        #expect(decoder.isComplete)
        #expect(decoder.trailers.count == 1)
        #expect(decoder.trailers.first?.name == "x-amz-checksum-crc32")
        #expect(decoder.trailers.first?.value == "NSRBwg==")
    }

    @Test("several chunks, as botocore frames them with a 4-byte chunk size")
    func severalChunks() throws {
        let (output, _) = try Self.decodeAll(
            "4\r\nabcd\r\n4\r\nefgh\r\n2\r\nij\r\n0\r\nx-amz-checksum-crc32:OYFwOg==\r\n\r\n",
            decoder: try Self.decoder(expectedLength: 10), slice: 1)
        #expect(output == Array("abcdefghij".utf8))
    }

    @Test("a wrong crc32 trailer")
    func wrongCRC32() throws {
        let error = thrownError {
            _ = try Self.decodeAll("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", decoder: try Self.decoder())
        }
        #expect(error == .checksumMismatch(algorithm: "x-amz-checksum-crc32", expected: "AAAAAA==", computed: "NSRBwg=="))
        #expect(error?.code == "BadDigest")
    }

    @Test("other checksum algorithms in trailers")
    func otherAlgorithms() throws {
        // sha256("abc") and sha1("abc"), base64.
        let sha256 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        _ = try Self.decodeAll(
            "3\r\nabc\r\n0\r\nx-amz-checksum-sha256:\(sha256)\r\n\r\n",
            decoder: try Self.decoder(trailers: ["x-amz-checksum-sha256"]))
        _ = try Self.decodeAll(
            "3\r\nabc\r\n0\r\nx-amz-checksum-sha1:qZk+NkcGgWq6PiVxeFDCbJzQ2J0=\r\n\r\n",
            decoder: try Self.decoder(trailers: ["x-amz-checksum-sha1"]))
        #expect(thrownError { _ = try Self.decoder(trailers: ["x-amz-checksum-md5"]) }
            == .unsupportedChecksum("x-amz-checksum-md5"))
    }

    @Test("trailers must be declared, and declared ones must arrive")
    func declaredTrailers() throws {
        let undeclared = thrownError {
            _ = try Self.decodeAll(
                "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", decoder: try Self.decoder(trailers: []))
        }
        #expect(undeclared == .undeclaredTrailer("x-amz-checksum-crc32"))
        let missing = thrownError { _ = try Self.decodeAll("3\r\nabc\r\n0\r\n\r\n", decoder: try Self.decoder()) }
        #expect(missing == .missingTrailer("x-amz-checksum-crc32"))
        // No trailer declared and none sent.
        let (output, _) = try Self.decodeAll("3\r\nabc\r\n0\r\n\r\n", decoder: try Self.decoder(trailers: []))
        #expect(output == Array("abc".utf8))
    }

    @Test("decoded length checks")
    func decodedLength() throws {
        let error = thrownError {
            _ = try Self.decodeAll(
                "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", decoder: try Self.decoder(expectedLength: 2))
        }
        #expect(error == .decodedLengthMismatch(expected: 2, actual: 3))
        #expect(AWSChunkedDecoder.parseDecodedContentLength("66560") == 66560)
        #expect(AWSChunkedDecoder.parseDecodedContentLength(" 12 ") == 12)
        #expect(AWSChunkedDecoder.parseDecodedContentLength("-1") == nil)
        #expect(AWSChunkedDecoder.parseDecodedContentLength("") == nil)
    }

    @Test("malformed bodies are refused")
    func malformed() throws {
        let bodies = [
            "g\r\nabc\r\n0\r\n\r\n",  // not hex
            "\r\nabc\r\n0\r\n\r\n",  // no size
            "3\nabc\r\n0\r\n\r\n",  // LF without CR
            "3\r\nabcd\r\n0\r\n\r\n",  // data longer than its size
            "3\r\nabc\r\n0\r\nno-colon\r\n\r\n",  // trailer without ':'
            "3\r\nabc\r\n0\r\n\r\n\r\nextra",  // data after the end (one blank line is tolerated)
            "11111111111111111\r\n",  // 17 hex digits
        ]
        for body in bodies {
            let error = thrownError { _ = try Self.decodeAll(body, decoder: try Self.decoder(trailers: [])) }
            guard case .malformedChunkedBody? = error else {
                Issue.record("\(body.debugDescription) gave \(String(describing: error))")
                continue
            }
        }
    }

    @Test("a truncated body fails on finish")
    func truncated() throws {
        for body in ["3\r\nab", "3\r\nabc\r", "3\r\nabc\r\n", "3\r\nabc\r\n0", "3"] {
            var decoder = try Self.decoder()
            _ = try decoder.decode(Array(body.utf8))
            let error = thrownError { try decoder.finish() }
            #expect(error == .incompleteBody, "\(body.debugDescription)")
        }
    }

    @Test("a chunk header line is bounded")
    func lineLimit() throws {
        var decoder = try Self.decoder()
        let long = [UInt8](repeating: UInt8(ascii: "0"), count: AWSChunkedDecoder.maxLineLength + 1)
        let error = thrownError { _ = try decoder.decode(long) }
        #expect(error == .chunkLineTooLong(limit: AWSChunkedDecoder.maxLineLength))
    }

    @Test("modes: signed bodies need a signing context; non-streaming modes are refused")
    func modes() {
        #expect(thrownError { _ = try AWSChunkedDecoder(payload: .streamingSigned, signing: nil) } == .missingAuthentication)
        #expect(thrownError { _ = try AWSChunkedDecoder(payload: .unsigned, signing: nil) }
            == .unsupportedPayload("UNSIGNED-PAYLOAD"))
    }

    @Test("a signed body checked chunk by chunk, built with the public chunk signer")
    func signedRoundTrip() throws {
        let context = AWSChunkSigningContext(
            secretAccessKey: "secret", amzDate: "20240102T030405Z",
            scope: SigV4Scope(date: "20240102", region: "us-east-1", service: "s3"),
            seedSignature: String(repeating: "ab", count: 32))
        let pieces: [[UInt8]] = [Array("first chunk ".utf8), Array("second".utf8), []]
        var body: [UInt8] = []
        var previous = context.seedSignature
        for piece in pieces {
            let signature = context.chunkSignature(previousSignature: previous, data: piece)
            body += Array("\(String(piece.count, radix: 16));chunk-signature=\(signature)\r\n".utf8)
            if !piece.isEmpty { body += piece + Array("\r\n".utf8) }
            previous = signature
        }
        body += Array("\r\n".utf8)
        var decoder = try AWSChunkedDecoder(payload: .streamingSigned, signing: context, expectedDecodedLength: 18)
        let output = try decoder.decode(body)
        try decoder.finish()
        #expect(output == Array("first chunk second".utf8))

        // A trailer after a signed body without trailer mode is refused.
        var trailing = body
        trailing.removeLast(2)
        trailing += Array("x-amz-checksum-crc32:AAAAAA==\r\n\r\n".utf8)
        var strict = try AWSChunkedDecoder(payload: .streamingSigned, signing: context)
        let error = thrownError { _ = try strict.decode(trailing) }
        guard case .malformedChunkedBody? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
    }
}
