import Foundation

/// Timestamps as stored and served: ISO 8601, UTC, millisecond precision (`2026-11-25T18:40:00.123Z`).
/// Text sorts in time order in every SQL dialect and reads well in a database shell.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    public static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text)
    }
}

/// The source of the current time; tests may substitute their own.
public typealias Now = @Sendable () -> Date
