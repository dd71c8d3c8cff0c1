import Foundation
import SigV4
import Testing

/// Check values from the CRC catalogue ("123456789"), confirmed with zlib and awscrt.
@Suite("CRC32, CRC32C, CRC64NVME and SigV4Checksum")
struct ChecksumTests {
    static let check = Array("123456789".utf8)

    @Test("catalogue check values")
    func checkValues() {
        #expect(CRC32.checksum(Self.check) == 0xCBF4_3926)
        #expect(CRC32C.checksum(Self.check) == 0xE306_9283)
        #expect(CRC64NVME.checksum(Self.check) == 0xAE8B_1486_0A79_9888)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC64NVME.checksum([]) == 0)
    }

    @Test("incremental updates equal one pass, whatever the slicing")
    func incremental() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole32 = CRC32.checksum(data)
        let whole32c = CRC32C.checksum(data)
        let whole64 = CRC64NVME.checksum(data)
        for step in [1, 3, 7, 8, 9, 13, 64, 999] {
            var crc32 = CRC32()
            var crc32c = CRC32C()
            var crc64 = CRC64NVME()
            var start = 0
            while start < data.count {
                let piece = Array(data[start..<min(start + step, data.count)])
                crc32.update(piece)
                crc32c.update(piece)
                crc64.update(piece)
                start += step
            }
            #expect(crc32.value == whole32, "step \(step)")
            #expect(crc32c.value == whole32c, "step \(step)")
            #expect(crc64.value == whole64, "step \(step)")
        }
    }

    @Test("base64 digests as S3 sends them")
    func base64Digests() {
        func digest(_ algorithm: SigV4ChecksumAlgorithm, _ bytes: [UInt8]) -> String {
            var checksum = SigV4Checksum(algorithm)
            checksum.update(bytes)
            return checksum.base64Digest
        }
        let abc = Array("abc".utf8)
        #expect(digest(.crc32, abc) == "NSRBwg==")
        #expect(digest(.sha1, abc) == "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
        #expect(digest(.sha256, abc) == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        // The CRC32C trailer of the S3 trailing-headers example: 66560 bytes of "a".
        #expect(digest(.crc32c, [UInt8](repeating: UInt8(ascii: "a"), count: 66560)) == "sOO8/Q==")

        var checksum = SigV4Checksum(.crc32)
        checksum.update(abc)
        #expect(checksum.matches(base64: "NSRBwg=="))
        #expect(!checksum.matches(base64: "NSRBwA=="))
        #expect(!checksum.matches(base64: "not base64"))
    }

    @Test("algorithm names")
    func names() {
        #expect(SigV4ChecksumAlgorithm(headerName: "X-Amz-Checksum-CRC32C") == .crc32c)
        #expect(SigV4ChecksumAlgorithm(headerName: "x-amz-checksum-crc64nvme") == .crc64nvme)
        #expect(SigV4ChecksumAlgorithm(headerName: "x-amz-checksum-md5") == nil)
        #expect(SigV4ChecksumAlgorithm.sha256.headerName == "x-amz-checksum-sha256")
    }
}
