/// Reads the fields of one JSON object of a bundle, recording problems at JSON paths
/// (`flows.approve.steps[3].cond`) instead of stopping at the first.
struct IRObject {
    let path: String
    private let fields: [String: JSONValue]
    private var seen: Set<String> = []

    /// nil (with a problem recorded) when `value` is not an object.
    init?(_ value: JSONValue, path: String, problems: inout [IRProblem]) {
        guard case .object(let fields) = value else {
            problems.append(IRProblem(path.isEmpty ? "$" : path, "expected object, got \(value.typeName)"))
            return nil
        }
        self.path = path
        self.fields = fields
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func value(_ key: String, required: Bool = false, _ problems: inout [IRProblem]) -> JSONValue? {
        seen.insert(key)
        guard let value = fields[key] else {
            if required { problems.append(IRProblem(child(key), "missing required field '\(key)'")) }
            return nil
        }
        return value
    }

    mutating func string(_ key: String, required: Bool = false, _ problems: inout [IRProblem]) -> String? {
        guard let value = value(key, required: required, &problems) else { return nil }
        guard case .string(let text) = value else { return mismatch(key, "string", value, &problems) }
        return text
    }

    mutating func integer(_ key: String, minimum: Int64 = 1, _ problems: inout [IRProblem]) -> Int? {
        guard let value = value(key, &problems) else { return nil }
        guard case .integer(let number) = value else { return mismatch(key, "integer", value, &problems) }
        guard number >= minimum, let small = Int(exactly: number) else {
            problems.append(IRProblem(child(key), "must be an integer of at least \(minimum)"))
            return nil
        }
        return small
    }

    mutating func object(_ key: String, required: Bool = false, _ problems: inout [IRProblem]) -> [String: JSONValue]? {
        guard let value = value(key, required: required, &problems) else { return nil }
        guard case .object(let object) = value else { return mismatch(key, "object", value, &problems) }
        return object
    }

    mutating func array(_ key: String, required: Bool = false, _ problems: inout [IRProblem]) -> [JSONValue]? {
        guard let value = value(key, required: required, &problems) else { return nil }
        guard case .array(let items) = value else { return mismatch(key, "array", value, &problems) }
        return items
    }

    /// A string field that must be one of `choices`.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, _ problems: inout [IRProblem]) -> T?
    where T.RawValue == String {
        guard let text = string(key, &problems) else { return nil }
        guard let choice = T(rawValue: text) else {
            problems.append(IRProblem(child(key), "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'"))
            return nil
        }
        return choice
    }

    /// Marks every field as read (used when the op is unknown: its fields cannot be judged).
    mutating func acceptAll() { seen.formUnion(fields.keys) }

    /// Records every field that was never read as unknown.
    func finish(_ problems: inout [IRProblem]) {
        for key in fields.keys.sorted() where !seen.contains(key) {
            problems.append(IRProblem(child(key), "unknown field '\(key)'"))
        }
    }

    private func mismatch<T>(_ key: String, _ expected: String, _ value: JSONValue, _ problems: inout [IRProblem]) -> T? {
        problems.append(IRProblem(child(key), "expected \(expected), got \(value.typeName)"))
        return nil
    }
}
