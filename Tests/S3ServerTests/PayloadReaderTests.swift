import Crypto
import Foundation
import Hummingbird
import SigV4
import Testing

@testable import S3Server

@Suite struct PayloadReaderTests {
    let data = Array("hello, payload".utf8)

    private func read(_ reader: PayloadReader, _ pieces: [[UInt8]], limit: Int64 = 1 << 20) async throws -> [UInt8] {
        let (body, source) = RequestBody.makeStream()
        let feeder = Task {
            for piece in pieces { await source.yield(ByteBuffer(bytes: piece)) }
            source.finish()
        }
        defer { feeder.cancel() }
        var out: [UInt8] = []
        try await reader.read(body, limit: limit) { out.append(contentsOf: $0) }
        return out
    }

    private func sha256(_ bytes: [UInt8]) -> String { SigV4Hex.encode(SHA256.hash(data: bytes)) }

    @Test func signedPayloadMatches() async throws {
        let reader = PayloadReader(framing: .plain(sha256: sha256(data)), contentMD5: nil, checksum: nil, declaredLength: Int64(data.count))
        #expect(try await read(reader, [Array(data[..<5]), Array(data[5...])]) == data)
    }

    @Test func signedPayloadMismatch() async {
        let reader = PayloadReader(framing: .plain(sha256: sha256([1, 2, 3])), contentMD5: nil, checksum: nil, declaredLength: nil)
        await #expect(throws: S3Error.contentSHA256Mismatch()) { try await read(reader, [data]) }
    }

    @Test func contentMD5() async throws {
        let digest = Array(Insecure.MD5.hash(data: data))
        let good = PayloadReader(framing: .plain(sha256: nil), contentMD5: digest, checksum: nil, declaredLength: nil)
        #expect(try await read(good, [data]) == data)
        let bad = PayloadReader(framing: .plain(sha256: nil), contentMD5: Array(repeating: 0, count: 16), checksum: nil, declaredLength: nil)
        await #expect(throws: S3Error.badDigest()) { try await read(bad, [data]) }
    }

    @Test func checksumHeader() async throws {
        var checksum = SigV4Checksum(.crc32)
        checksum.update(data)
        let good = PayloadReader(framing: .plain(sha256: nil), contentMD5: nil, checksum: (.crc32, checksum.base64Digest), declaredLength: nil)
        #expect(try await read(good, [data]) == data)
        let bad = PayloadReader(framing: .plain(sha256: nil), contentMD5: nil, checksum: (.crc32, "AAAAAA=="), declaredLength: nil)
        await #expect(throws: S3Error.self) { try await read(bad, [data]) }
    }

    @Test func limits() async {
        let declared = PayloadReader(framing: .plain(sha256: nil), contentMD5: nil, checksum: nil, declaredLength: 100)
        await #expect(throws: S3Error.entityTooLarge(limit: 10)) { try await read(declared, [data], limit: 10) }
        let streaming = PayloadReader(framing: .plain(sha256: nil), contentMD5: nil, checksum: nil, declaredLength: nil)
        await #expect(throws: S3Error.entityTooLarge(limit: 10)) { try await read(streaming, [data], limit: 10) }
    }

    @Test func shortBodyIsIncomplete() async {
        let reader = PayloadReader(framing: .plain(sha256: nil), contentMD5: nil, checksum: nil, declaredLength: 100)
        await #expect(throws: S3Error.incompleteBody()) { try await read(reader, [data]) }
    }

    @Test func unsignedChunkedBodyWithTrailer() async throws {
        var checksum = SigV4Checksum(.crc32)
        checksum.update(data)
        let body = "\(String(data.count, radix: 16))\r\n" + String(decoding: data, as: UTF8.self) + "\r\n0\r\nx-amz-checksum-crc32:\(checksum.base64Digest)\r\n\r\n"
        let decoder = try AWSChunkedDecoder(
            payload: .streamingUnsignedWithTrailer, signing: nil, declaredTrailers: ["x-amz-checksum-crc32"],
            expectedDecodedLength: Int64(data.count))
        let reader = PayloadReader(framing: .chunked(decoder), contentMD5: nil, checksum: nil, declaredLength: Int64(data.count))
        let bytes = Array(body.utf8)
        #expect(try await read(reader, [Array(bytes[..<7]), Array(bytes[7...])]) == data)

        let corrupted = body.replacingOccurrences(of: "hello", with: "jello")
        await #expect(throws: S3Error.self) { try await read(reader, [Array(corrupted.utf8)]) }
    }
}
