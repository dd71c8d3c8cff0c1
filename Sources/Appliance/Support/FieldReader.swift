import CoreEngine

/// Reads the fields of a JSON request object, collecting every problem (wrong type, missing,
/// unknown field) with its path so that one 400 answer names them all.
public struct FieldReader {
    private let fields: [String: JSONValue]
    private var seen: Set<String> = []
    public private(set) var problems: [FieldProblem] = []

    public init(_ value: JSONValue) {
        if case .object(let fields) = value {
            self.fields = fields
        } else {
            self.fields = [:]
            problems.append(FieldProblem("$", "expected a JSON object, got \(value.typeName)"))
        }
    }

    /// True when the body has the field (even if null).
    public func has(_ key: String) -> Bool { fields[key] != nil }

    public mutating func string(_ key: String, required: Bool = false, maxLength: Int = 1000) -> String? {
        guard let value = take(key, required: required) else { return nil }
        guard case .string(let text) = value else { return mismatch(key, "string", value) }
        if text.isEmpty { problems.append(FieldProblem(key, "must not be empty")); return nil }
        if text.count > maxLength { problems.append(FieldProblem(key, "longer than \(maxLength) characters")); return nil }
        return text
    }

    public mutating func object(_ key: String, required: Bool = false) -> JSONValue? {
        guard let value = take(key, required: required) else { return nil }
        guard case .object = value else { return mismatch(key, "object", value) }
        return value
    }

    /// An integer; as in JSON Schema, a number with no fraction (`3.0`) is one too.
    public mutating func integer(_ key: String, required: Bool = false) -> Int64? {
        guard let value = take(key, required: required) else { return nil }
        switch value {
        case .integer(let number): return number
        case .double(let number) where number.rounded() == number && abs(number) < 9.2e18: return Int64(number)
        default: return mismatch(key, "integer", value)
        }
    }

    public mutating func stringArray(_ key: String, required: Bool = false, maxCount: Int = 100) -> [String]? {
        guard let value = take(key, required: required) else { return nil }
        guard case .array(let items) = value else { return mismatch(key, "array of strings", value) }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item, !text.isEmpty else {
                problems.append(FieldProblem("\(key)[\(index)]", "expected a non-empty string, got \(item.typeName)"))
                continue
            }
            result.append(text)
        }
        if items.count > maxCount { problems.append(FieldProblem(key, "more than \(maxCount) items")) }
        return result
    }

    /// The `wait` field: how long the caller will wait for a run, in whole seconds from 0 to 60
    /// (fractions round up); 0 when absent or null.
    public mutating func waitSeconds() -> Int {
        switch take("wait", required: false) {
        case nil: return 0
        case .integer(let value)? where (0...60).contains(value): return Int(value)
        case .double(let value)? where (0...60).contains(value): return Int(value.rounded(.up))
        default:
            problems.append(FieldProblem("wait", "expected a number of seconds from 0 to 60"))
            return 0
        }
    }

    /// Any JSON value but null.
    public mutating func value(_ key: String, required: Bool = false) -> JSONValue? {
        take(key, required: required)
    }

    /// Records a problem found by the caller.
    public mutating func problem(_ path: String, _ text: String) { problems.append(FieldProblem(path, text)) }

    /// Throws 400 with every problem, including fields that were never read (unknown fields).
    public func finish() throws(ApplianceError) {
        var all = problems
        for key in fields.keys.sorted() where !seen.contains(key) {
            all.append(FieldProblem(key, "unknown field"))
        }
        if !all.isEmpty { throw ApplianceError.invalidRequest(all) }
    }

    private mutating func take(_ key: String, required: Bool) -> JSONValue? {
        seen.insert(key)
        guard let value = fields[key], value != .null else {
            if required { problems.append(FieldProblem(key, "is required")) }
            return nil
        }
        return value
    }

    private mutating func mismatch<T>(_ key: String, _ expected: String, _ value: JSONValue) -> T? {
        problems.append(FieldProblem(key, "expected \(expected), got \(value.typeName)"))
        return nil
    }
}
