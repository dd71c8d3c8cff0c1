/// Hex encoding and constant-time comparison of signatures.
public enum SigV4Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `value` is exactly `byteCount` bytes written as hex digits (either case).
    public static func isHexDigest(_ value: String, byteCount: Int) -> Bool {
        var count = 0
        for byte in value.utf8 {
            guard nibble(byte) != nil else { return false }
            count += 1
        }
        return count == byteCount * 2
    }

    /// Compares two signatures in time independent of where they differ (ASCII case-insensitive).
    /// Lengths are not secret: different lengths return `false` at once.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        // Case folding looks at each input alone, so it reveals nothing about the other one.
        let a = Array(lhs.lowercased().utf8)
        let b = Array(rhs.lowercased().utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }

    static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
