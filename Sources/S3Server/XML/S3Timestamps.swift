import Foundation

/// The two timestamp forms of S3: RFC 1123 in headers (`Wed, 12 Oct 2009 17:50:00 GMT`) and
/// ISO 8601 with milliseconds in XML (`2009-10-12T17:50:00.000Z`); and reading HTTP dates.
enum S3Timestamps {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Wed, 12 Oct 2009 17:50:00 GMT` (seconds truncated).
    static func rfc1123(_ date: Date) -> String {
        let parts = components(date)
        return "\(weekdays[parts.weekday]), \(pad(parts.day, 2)) \(months[parts.month - 1]) \(pad(parts.year, 4)) "
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)) GMT"
    }

    /// `2009-10-12T17:50:00.000Z`.
    static func iso8601(_ date: Date) -> String {
        let parts = components(date)
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):"
            + "\(pad(parts.second, 2)).\(pad(parts.millisecond, 3))Z"
    }

    /// Reads an HTTP date: RFC 1123 (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime (`Sun Nov  6 08:49:37 1994`); also ISO 8601
    /// (`1994-11-06T08:49:37Z`, `…37.000Z`), which some clients send. Nil when it is none of them.
    static func parseHTTPDate(_ text: String) -> Date? {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init)
        switch tokens.count {
        case 1:
            return parseISO8601(tokens[0])
        case 6 where tokens[5] == "GMT" || tokens[5] == "UTC":
            // RFC 1123: Sun 06 Nov 1994 08:49:37 GMT (the comma is removed by the split).
            guard let day = Int(tokens[1]), let month = monthNumber(tokens[2]), let year = Int(tokens[3]), tokens[3].count == 4 else { return nil }
            return makeDate(year: year, month: month, day: day, time: tokens[4])
        case 4 where tokens[3] == "GMT":
            // RFC 850: Sunday 06-Nov-94 08:49:37 GMT.
            let dayMonthYear = tokens[1].split(separator: "-").map(String.init)
            guard dayMonthYear.count == 3, let day = Int(dayMonthYear[0]), let month = monthNumber(dayMonthYear[1]),
                var year = Int(dayMonthYear[2])
            else { return nil }
            if dayMonthYear[2].count == 2 { year += year < 70 ? 2000 : 1900 }
            return makeDate(year: year, month: month, day: day, time: tokens[2])
        case 5:
            // asctime: Sun Nov 6 08:49:37 1994.
            guard let month = monthNumber(tokens[1]), let day = Int(tokens[2]), let year = Int(tokens[4]) else { return nil }
            return makeDate(year: year, month: month, day: day, time: tokens[3])
        default:
            return nil
        }
    }

    /// `yyyy-MM-ddTHH:mm:ss[.fff]Z`.
    private static func parseISO8601(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes.last == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: bytes[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        let time = String(decoding: bytes[11..<19], as: UTF8.self)
        guard let whole = makeDate(year: year, month: month, day: day, time: time) else { return nil }
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), let fraction = Double("0" + String(decoding: bytes[19..<(bytes.count - 1)], as: UTF8.self))
            else { return nil }
            return whole.addingTimeInterval(fraction)
        }
        return whole
    }

    private static func monthNumber(_ text: String) -> Int? {
        months.firstIndex { $0.caseInsensitiveCompare(text) == .orderedSame }.map { $0 + 1 }
    }

    private static func makeDate(year: Int, month: Int, day: Int, time: String) -> Date? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second), (1...9999).contains(year)
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    private struct Parts {
        var year, month, day, hour, minute, second, millisecond, weekday: Int
    }

    private static func components(_ date: Date) -> Parts {
        // Whole milliseconds, rounded (binary fractions such as .123 are stored as .12299…).
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = total >= 0 ? total / 1000 : (total - 999) / 1000
        let millisecond = Int(total - seconds * 1000)
        var time = time_t(seconds)
        var tm = tm()
        gmtime_r(&time, &tm)
        return Parts(
            year: Int(tm.tm_year) + 1900, month: Int(tm.tm_mon) + 1, day: Int(tm.tm_mday), hour: Int(tm.tm_hour),
            minute: Int(tm.tm_min), second: Int(tm.tm_sec), millisecond: millisecond, weekday: Int(tm.tm_wday))
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
