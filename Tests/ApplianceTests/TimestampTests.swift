import Appliance
import Foundation
import Testing

@Suite struct TimestampTests {
    private let reference = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    @Test func writesWhatTheISO8601FormatStyleWrites() {
        var generator = SystemRandomNumberGenerator()
        var millis: [Int64] = [0, -1, 951_782_400_000, 4_102_444_799_999, 1_764_000_000_123, -86_400_001]
        for _ in 0..<2000 { millis.append(Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &generator)) }
        for value in millis {
            // 0.4 ms into the millisecond, clear of the boundary where binary fractions differ.
            let date = Date(timeIntervalSince1970: (Double(value) + 0.4) / 1000)
            #expect(Timestamp.string(date) == date.formatted(reference), "\(value)")
        }
    }

    @Test func aTimestampReadBackWritesTheSameText() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let text = Timestamp.string(Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_102_444_800_000, using: &generator)) / 1000))
            // (Date.ISO8601FormatStyle truncates the binary fraction, so it would write .122 for a
            // parsed .123 about half the time; this formatter rounds to microseconds first.)
            #expect(Timestamp.string(try #require(Timestamp.date(text))) == text)
        }
    }

    @Test func truncatesToMillisecondsAndReadsBack() throws {
        let date = Date(timeIntervalSince1970: 1_764_000_000.1239)
        #expect(Timestamp.string(date) == "2025-11-24T16:00:00.123Z")
        let back = try #require(Timestamp.date(Timestamp.string(date)))
        #expect(abs(back.timeIntervalSince1970 - 1_764_000_000.123) < 0.000_5)
        #expect(Timestamp.string(Date(timeIntervalSince1970: 0.9996)) == "1970-01-01T00:00:00.999Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: -1.5)) == "1969-12-31T23:59:58.500Z")
    }
}
