/// ISO 8601 durations as the IR writes them: `P[nW]` or `P[nD][T[nH][nM][nS]]` with whole
/// numbers (`PT5M`, `PT24H`, `P1DT12H`, `P2W`). Years and months are refused: their length varies.
public enum ISODuration {
    /// The duration in seconds, or nil when `text` is not such a duration (or is zero or too long).
    public static func seconds(_ text: String) -> Int? {
        var rest = Substring(text)
        guard rest.first == "P" else { return nil }
        rest = rest.dropFirst()
        var total = 0
        var inTime = false
        var sawComponent = false
        var lastUnitRank = -1
        var timeComponents = 0
        while !rest.isEmpty {
            if rest.first == "T" {
                guard !inTime else { return nil }
                inTime = true
                rest = rest.dropFirst()
                continue
            }
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let amount = Int(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = rest.first else { return nil }
            rest = rest.dropFirst()
            let (rank, scale): (Int, Int)
            switch (unit, inTime) {
            case ("W", false): (rank, scale) = (0, 604_800)
            case ("D", false): (rank, scale) = (1, 86_400)
            case ("H", true): (rank, scale) = (2, 3_600)
            case ("M", true): (rank, scale) = (3, 60)
            case ("S", true): (rank, scale) = (4, 1)
            default: return nil
            }
            guard rank > lastUnitRank else { return nil }
            lastUnitRank = rank
            sawComponent = true
            if inTime { timeComponents += 1 }
            let (product, overflow) = amount.multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            total += product
        }
        // At most ten years: longer timers are almost certainly a mistake.
        guard sawComponent, !inTime || timeComponents > 0, total > 0, total <= 10 * 366 * 86_400 else { return nil }
        return total
    }
}
