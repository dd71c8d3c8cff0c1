import CoreEngine
import Foundation

/// Checks a value against the JSON Schema subset checkpoint schemas use (docs/ir.md):
/// `type`, `enum`, `const`, `required`, `properties`, `additionalProperties` (boolean),
/// `items`, `minItems`/`maxItems`, `minLength`/`maxLength`, `pattern`, `minimum`/`maximum`,
/// `exclusiveMinimum`/`exclusiveMaximum`. Unknown keywords are ignored, as JSON Schema does.
/// Answers every problem, each with the JSON path of the offending value.
enum SchemaCheck {
    static func problems(_ value: JSONValue, against schema: JSONValue, path: String = "data") -> [FieldProblem] {
        guard case .object(let rules) = schema else { return [] }
        var problems: [FieldProblem] = []
        if let type = rules["type"] {
            let allowed = type.stringValue.map { [$0] } ?? (type.arrayValue ?? []).compactMap(\.stringValue)
            if !allowed.isEmpty, !allowed.contains(where: { matches(value, type: $0) }) {
                return [FieldProblem(path, "expected \(allowed.joined(separator: " or ")), got \(value.typeName)")]
            }
        }
        if let options = rules["enum"]?.arrayValue, !options.contains(value) {
            problems.append(FieldProblem(path, "must be one of \(JSONValue.array(options).encodedText())"))
        }
        if let constant = rules["const"], constant != value {
            problems.append(FieldProblem(path, "must be \(constant.encodedText())"))
        }
        switch value {
        case .object(let fields):
            for name in (rules["required"]?.arrayValue ?? []).compactMap(\.stringValue) where fields[name] == nil {
                problems.append(FieldProblem("\(path).\(name)", "is required"))
            }
            let properties = rules["properties"]?.objectValue ?? [:]
            for (name, field) in fields.sorted(by: { $0.key < $1.key }) {
                if let rule = properties[name] {
                    problems += Self.problems(field, against: rule, path: "\(path).\(name)")
                } else if rules["additionalProperties"] == .bool(false) {
                    problems.append(FieldProblem("\(path).\(name)", "is not an allowed field"))
                }
            }
        case .array(let items):
            if let minimum = number(rules["minItems"]), Double(items.count) < minimum { problems.append(FieldProblem(path, "needs at least \(Int(minimum)) items")) }
            if let maximum = number(rules["maxItems"]), Double(items.count) > maximum { problems.append(FieldProblem(path, "allows at most \(Int(maximum)) items")) }
            if let rule = rules["items"] {
                for (index, item) in items.enumerated() { problems += Self.problems(item, against: rule, path: "\(path)[\(index)]") }
            }
        case .string(let text):
            if let minimum = number(rules["minLength"]), Double(text.count) < minimum { problems.append(FieldProblem(path, "needs at least \(Int(minimum)) characters")) }
            if let maximum = number(rules["maxLength"]), Double(text.count) > maximum { problems.append(FieldProblem(path, "allows at most \(Int(maximum)) characters")) }
            if let pattern = rules["pattern"]?.stringValue {
                if let regex = try? NSRegularExpression(pattern: pattern) {
                    if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                        problems.append(FieldProblem(path, "does not match the pattern \(pattern)"))
                    }
                }
            }
        case .integer, .double:
            let x = number(value) ?? 0
            if let minimum = number(rules["minimum"]), x < minimum { problems.append(FieldProblem(path, "must be at least \(rules["minimum"]?.encodedText() ?? "")")) }
            if let maximum = number(rules["maximum"]), x > maximum { problems.append(FieldProblem(path, "must be at most \(rules["maximum"]?.encodedText() ?? "")")) }
            if let minimum = number(rules["exclusiveMinimum"]), x <= minimum { problems.append(FieldProblem(path, "must be more than \(rules["exclusiveMinimum"]?.encodedText() ?? "")")) }
            if let maximum = number(rules["exclusiveMaximum"]), x >= maximum { problems.append(FieldProblem(path, "must be less than \(rules["exclusiveMaximum"]?.encodedText() ?? "")")) }
        default:
            break
        }
        return problems
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("integer", .integer): return true
        case ("number", .integer), ("number", .double): return true
        case ("integer", .double(let x)): return x.rounded() == x
        default: return false
        }
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .integer(let x): return Double(x)
        case .double(let x): return x
        default: return nil
        }
    }
}
