/// A five-field cron expression (`minute hour day-of-month month day-of-week`), as `schedule`
/// triggers write it. Each field: `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a
/// comma-separated list of those. Day of week 0–7 (0 and 7 are Sunday).
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    public let daysOfWeek: Set<Int>
    public let description: String
    /// Whether the day fields were restricted (cron's rule: if both are, either may match).
    let daysOfMonthRestricted: Bool
    let daysOfWeekRestricted: Bool

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(ParseError) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 5 else { throw ParseError(description: "expected 5 fields (minute hour day month weekday), found \(fields.count)") }
        minutes = try Self.field(fields[0], "minute", 0...59)
        hours = try Self.field(fields[1], "hour", 0...23)
        daysOfMonth = try Self.field(fields[2], "day of month", 1...31)
        months = try Self.field(fields[3], "month", 1...12)
        daysOfWeek = Set(try Self.field(fields[4], "day of week", 0...7).map { $0 % 7 })
        daysOfMonthRestricted = fields[2] != "*"
        daysOfWeekRestricted = fields[4] != "*"
        description = fields.joined(separator: " ")
    }

    private static func field(_ text: Substring, _ name: String, _ range: ClosedRange<Int>) throws(ParseError) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw ParseError(description: "bad \(name) field '\(part)'") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed >= 1 else { throw ParseError(description: "bad step in \(name) field '\(part)'") }
                step = parsed
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds.last ?? "") else {
                    throw ParseError(description: "bad \(name) field '\(part)'")
                }
                guard range.contains(low), range.contains(high) else {
                    throw ParseError(description: "\(name) \(range.contains(low) ? high : low) is outside \(range.lowerBound)–\(range.upperBound)")
                }
                guard low <= high else { throw ParseError(description: "empty range '\(pieces[0])' in \(name) field") }
                span = low...(bounds.count == 1 && pieces.count == 2 ? range.upperBound : high)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    /// True when the schedule fires at this minute (fields of a calendar time in the schedule's zone).
    public func matches(minute: Int, hour: Int, day: Int, month: Int, weekday: Int) -> Bool {
        guard minutes.contains(minute), hours.contains(hour), months.contains(month) else { return false }
        let dayOK = daysOfMonth.contains(day)
        let weekdayOK = daysOfWeek.contains(weekday % 7)
        if daysOfMonthRestricted && daysOfWeekRestricted { return dayOK || weekdayOK }
        return dayOK && weekdayOK
    }
}
