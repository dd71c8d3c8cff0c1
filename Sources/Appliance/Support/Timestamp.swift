import Foundation

/// Timestamps as stored and served: ISO 8601, UTC, millisecond precision (`2026-11-25T18:40:00.123Z`).
/// Text sorts in time order in every SQL dialect and reads well in a database shell.
public enum Timestamp {
    /// `YYYY-MM-DDThh:mm:ss.sssZ` in UTC, milliseconds truncated (as `Date.ISO8601FormatStyle`
    /// with fractional seconds writes it, at a fraction of its cost: this runs several times per request).
    public static func string(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard micros.isFinite, abs(micros) < 1e17 else { return date.formatted(style) }
        let millis = Int64(micros) >= 0 ? Int64(micros) / 1000 : (Int64(micros) - 999) / 1000
        var seconds = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let fraction = Int(millis - Int64(seconds) * 1000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil, (0...9999).contains(Int(parts.tm_year) + 1900) else { return date.formatted(style) }
        var text = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, at offset: Int, digits: Int) {
            var value = value
            for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                text[index] = 0x30 + UInt8(value % 10)
                value /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, digits: 4)
        put(Int(parts.tm_mon) + 1, at: 5, digits: 2)
        put(Int(parts.tm_mday), at: 8, digits: 2)
        put(Int(parts.tm_hour), at: 11, digits: 2)
        put(Int(parts.tm_min), at: 14, digits: 2)
        put(Int(parts.tm_sec), at: 17, digits: 2)
        put(fraction, at: 20, digits: 3)
        for (offset, byte) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] as [(Int, Character)] {
            text[offset] = byte.asciiValue ?? 0
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public static func date(_ text: String) -> Date? {
        try? style.parse(text)
    }
}

/// The source of the current time; tests may substitute their own.
public typealias Now = @Sendable () -> Date
