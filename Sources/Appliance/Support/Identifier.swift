import Foundation

/// Makes identifiers: a kind prefix and a ULID (48-bit millisecond time + 80 random bits,
/// Crockford base32), so ids of one kind sort by creation time and page stably.
public enum Identifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id such as `core_01JDX3Q8G2N1W5Z8B4V7C6T0RS`.
    public static func make(_ prefix: String, at date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let high = UInt64.random(in: 0...UInt64(UInt16.max), using: &generator)
        let low = generator.next()
        // 128 bits: 48 time | 16 random | 64 random, written as 26 base32 digits.
        var value = (UInt128(millis) << 80) | (UInt128(high) << 64) | UInt128(low)
        var digits = [UInt8](repeating: 0, count: 26)
        for index in stride(from: 25, through: 0, by: -1) {
            digits[index] = alphabet[Int(value & 31)]
            value >>= 5
        }
        return prefix + "_" + String(decoding: digits, as: UTF8.self)
    }

    /// True when `text` has the shape of an id made with `prefix` (no other characters can reach SQL or logs).
    public static func isWellFormed(_ text: String, prefix: String) -> Bool {
        guard text.hasPrefix(prefix + "_") else { return false }
        let body = text.utf8.dropFirst(prefix.utf8.count + 1)
        return body.count == 26 && body.allSatisfy { alphabet.contains($0) }
    }
}
