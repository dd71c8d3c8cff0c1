/// How a run spells the journal keys of its effects (docs/ir.md, "Effects and the journal").
///
/// A key names one execution of a step: the `call` steps and `for_each` iterations around it,
/// then the step's own id — `lines[2]/enrich/from_crm`. Step ids are free strings, so an id may
/// itself contain `/`, `[` or `]`; ``escaped`` keeps every key unambiguous by construction.
public enum JournalKeyScheme: UInt8, Sendable, Codable, CaseIterable {
    /// Ids joined as they are. Two positions can then share a key (the step `a/g` after `call a`,
    /// whose flow has a step `g`), and the later one would reuse the earlier one's result. Only
    /// runs started by an appliance from before the fix use it, so that they resume with the keys
    /// their journals hold.
    case unescaped = 1
    /// Each id with `%`, `/`, `[` and `]` percent-encoded (`%25`, `%2F`, `%5B`, `%5D`). An id
    /// without those characters is its own key segment, as before.
    case escaped = 2

    /// The scheme of new runs.
    public static let current = JournalKeyScheme.escaped

    /// `id` as it appears in a key.
    public func segment(_ id: String) -> String {
        guard self == .escaped, id.utf8.contains(where: { Self.reserved.contains($0) }) else { return id }
        var escaped = ""
        escaped.reserveCapacity(id.utf8.count + 6)
        for character in id.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case "/": escaped += "%2F"
            case "[": escaped += "%5B"
            case "]": escaped += "%5D"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// The key of the step `id`, under `prefix` (its frame's prefix) and inside the enclosing
    /// loops, outermost first, each with its iteration.
    public func key(prefix: String, loops: [(id: String, position: Int)], step id: String) -> String {
        var key = prefix
        for loop in loops { key += segment(loop.id) + "[\(loop.position)]/" }
        return key + segment(id)
    }

    /// The prefix of the steps of a flow called by the step whose key is `callKey`.
    public func prefix(calledBy callKey: String) -> String { callKey + "/" }

    /// The bytes `escaped` encodes.
    private static let reserved: Set<UInt8> = [UInt8(ascii: "%"), UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]")]
}
