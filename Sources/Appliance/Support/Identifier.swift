import Foundation
import Synchronization

/// Makes identifiers: a kind prefix and a ULID (48-bit millisecond time + 80 random bits,
/// Crockford base32). Ids are monotonic within a process: an id made in the same millisecond as
/// the previous one is that one plus one, so ids sort in creation order and page stably.
public enum Identifier {
    fileprivate static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    /// The last (time, random) pair handed out.
    private static let last = Mutex<(millis: UInt64, random: UInt128)>((0, 0))
    private static let randomMask: UInt128 = (1 << 80) - 1

    /// A new id such as `core_01JDX3Q8G2N1W5Z8B4V7C6T0RS`.
    public static func make(_ prefix: String, at date: Date = Date()) -> String {
        let wallClock = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let (millis, random) = last.withLock { state -> (UInt64, UInt128) in
            if wallClock <= state.millis {
                // Same (or an earlier) millisecond: keep order by counting up; carry into time.
                state.random += 1
                if state.random > randomMask {
                    state.random = 0
                    state.millis += 1
                }
            } else {
                var generator = SystemRandomNumberGenerator()
                // Leave headroom so that counting up within a millisecond never overflows in practice.
                state = (wallClock, (UInt128(generator.next() as UInt64) << 15 | UInt128(UInt16.random(in: 0...UInt16.max))) & (randomMask >> 1))
            }
            return (state.millis, state.random)
        }
        var value = (UInt128(millis) << 80) | random
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

extension Identifier {
    /// An id of the usual shape derived from `seed`: the same seed always gives the same id, so a
    /// step repeated after a crash names the same row (checkpoints).
    public static func derived(_ prefix: String, from seed: String) -> String {
        var hash: UInt128 = 0x6c62272e07bb014262b821756295c58d
        for byte in seed.utf8 {
            hash ^= UInt128(byte)
            hash &*= 0x0000000001000000000000000000013B
        }
        var digits = [UInt8](repeating: 0, count: 26)
        var value = hash
        for index in stride(from: 25, through: 0, by: -1) {
            digits[index] = alphabet[Int(value & 31)]
            value >>= 5
        }
        return prefix + "_" + String(decoding: digits, as: UTF8.self)
    }
}
