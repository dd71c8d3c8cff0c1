import Foundation

/// The pure functions expressions may call. The table is closed: the validator rejects any other
/// name. Each function checks its arguments and charges the evaluation budget for the elements
/// it touches.
public enum ExpressionFunctions {
    /// Name → accepted argument counts.
    public static let arities: [String: ClosedRange<Int>] = [
        "len": 1...1, "lower": 1...1, "upper": 1...1, "trim": 1...1,
        "starts_with": 2...2, "ends_with": 2...2, "contains": 2...2, "replace": 3...3,
        "split": 2...2, "join": 2...2, "slice": 2...3,
        "keys": 1...1, "values": 1...1, "merge": 2...2,
        "to_string": 1...1, "to_number": 1...1, "type": 1...1, "default": 2...2,
        "abs": 1...1, "floor": 1...1, "ceil": 1...1, "round": 1...2, "min": 1...16, "max": 1...16, "sum": 1...16,
    ]

    static func call(_ name: String, _ arguments: [JSONValue], evaluator: inout ExpressionEvaluator) throws(ExpressionError) -> JSONValue {
        guard let arity = arities[name] else { throw ExpressionError("unknown function '\(name)'") }
        guard arity.contains(arguments.count) else {
            let expected = arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)"
            throw ExpressionError("\(name) takes \(expected) arguments, got \(arguments.count)")
        }
        let a = arguments[0]
        func string(_ value: JSONValue, _ position: Int) throws(ExpressionError) -> String {
            guard case .string(let text) = value else { throw ExpressionError("\(name): argument \(position) must be a string, got \(value.typeName)") }
            return text
        }
        func number(_ value: JSONValue, _ position: Int) throws(ExpressionError) -> Double {
            guard let number = value.numberValue else { throw ExpressionError("\(name): argument \(position) must be a number, got \(value.typeName)") }
            return number
        }
        func integer(_ value: JSONValue, _ position: Int) throws(ExpressionError) -> Int {
            guard case .integer(let number) = value, let small = Int(exactly: number) else {
                throw ExpressionError("\(name): argument \(position) must be an integer, got \(value.typeName)")
            }
            return small
        }
        func whole(_ value: Double) -> JSONValue {
            if let exact = Int64(exactly: value) { return .integer(exact) }
            return .double(value)
        }

        switch name {
        case "len":
            switch a {
            case .string(let text): try evaluator.charge(text.utf8.count / 64); return .integer(Int64(text.count))
            case .array(let items): return .integer(Int64(items.count))
            case .object(let fields): return .integer(Int64(fields.count))
            case .null: return .integer(0)
            default: throw ExpressionError("len: argument 1 must be a string, array or object, got \(a.typeName)")
            }
        case "lower": return .string(try string(a, 1).lowercased())
        case "upper": return .string(try string(a, 1).uppercased())
        case "trim": return .string(try string(a, 1).trimmingCharacters(in: .whitespacesAndNewlines))
        case "starts_with": return .bool(try string(a, 1).hasPrefix(try string(arguments[1], 2)))
        case "ends_with": return .bool(try string(a, 1).hasSuffix(try string(arguments[1], 2)))
        case "contains":
            return try evaluator.evaluate(.binary(.contains, .literal(arguments[1]), .literal(a)))
        case "replace":
            let text = try string(a, 1)
            let target = try string(arguments[1], 2)
            guard !target.isEmpty else { throw ExpressionError("replace: argument 2 must not be empty") }
            try evaluator.charge(text.utf8.count / 16)
            let result = text.replacingOccurrences(of: target, with: try string(arguments[2], 3))
            try evaluator.checkSize(result.utf8.count)
            return .string(result)
        case "split":
            let text = try string(a, 1)
            let separator = try string(arguments[1], 2)
            guard !separator.isEmpty else { throw ExpressionError("split: argument 2 must not be empty") }
            let parts = text.components(separatedBy: separator)
            try evaluator.charge(parts.count)
            return .array(parts.map(JSONValue.string))
        case "join":
            guard case .array(let items) = a else { throw ExpressionError("join: argument 1 must be an array, got \(a.typeName)") }
            let separator = try string(arguments[1], 2)
            try evaluator.charge(items.count)
            var parts: [String] = []
            for item in items { parts.append(displayText(item)) }
            let result = parts.joined(separator: separator)
            try evaluator.checkSize(result.utf8.count)
            return .string(result)
        case "slice":
            let start = try integer(arguments[1], 2)
            let end = arguments.count == 3 ? try integer(arguments[2], 3) : Int.max
            func bounds(_ count: Int) -> Range<Int> {
                func clamp(_ i: Int) -> Int { i < 0 ? max(0, count + i) : min(i, count) }
                let lower = clamp(start), upper = end == Int.max ? count : clamp(end)
                return lower..<max(lower, upper)
            }
            switch a {
            case .array(let items): try evaluator.charge(items.count); return .array(Array(items[bounds(items.count)]))
            case .string(let text):
                let characters = Array(text)
                try evaluator.charge(characters.count / 16)
                return .string(String(characters[bounds(characters.count)]))
            default: throw ExpressionError("slice: argument 1 must be a string or array, got \(a.typeName)")
            }
        case "keys", "values":
            guard case .object(let fields) = a else { throw ExpressionError("\(name): argument 1 must be an object, got \(a.typeName)") }
            try evaluator.charge(fields.count)
            let sorted = fields.keys.sorted()
            return .array(name == "keys" ? sorted.map(JSONValue.string) : sorted.compactMap { fields[$0] })
        case "merge":
            guard case .object(let left) = a, case .object(let right) = arguments[1] else {
                throw ExpressionError("merge: both arguments must be objects, got \(a.typeName) and \(arguments[1].typeName)")
            }
            try evaluator.charge(left.count + right.count)
            return .object(left.merging(right) { _, new in new })
        case "to_string": return .string(displayText(a))
        case "to_number":
            switch a {
            case .integer, .double: return a
            case .string(let text):
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if let exact = Int64(trimmed) { return .integer(exact) }
                if let double = Double(trimmed), double.isFinite { return .double(double) }
                throw ExpressionError("to_number: '\(text.prefix(40))' is not a number")
            case .bool(let flag): return .integer(flag ? 1 : 0)
            default: throw ExpressionError("to_number: cannot convert \(a.typeName)")
            }
        case "type": return .string(a.typeName)
        case "default": return a == .null ? arguments[1] : a
        case "abs":
            if case .integer(let value) = a {
                guard value != .min else { throw ExpressionError("integer overflow in abs") }
                return .integer(Swift.abs(value))
            }
            return .double(Swift.abs(try number(a, 1)))
        case "floor": return whole(try number(a, 1).rounded(.down))
        case "ceil": return whole(try number(a, 1).rounded(.up))
        case "round":
            let digits = arguments.count == 2 ? try integer(arguments[1], 2) : 0
            guard (0...12).contains(digits) else { throw ExpressionError("round: digits must be from 0 to 12") }
            let scale = pow(10.0, Double(digits))
            let rounded = (try number(a, 1) * scale).rounded(.toNearestOrAwayFromZero) / scale
            return digits == 0 ? whole(rounded) : .double(rounded)
        case "min", "max", "sum":
            var items = arguments
            if arguments.count == 1, case .array(let list) = a { items = list }
            try evaluator.charge(items.count)
            if name == "sum" {
                var total: JSONValue = .integer(0)
                for item in items { total = try ExpressionEvaluator.arithmetic(.add, total, item) }
                return total
            }
            guard var best = items.first else { return .null }
            for item in items.dropFirst() {
                let order = try ExpressionEvaluator.compare(item, best, name == "min" ? .less : .greater)
                if (name == "min" && order < 0) || (name == "max" && order > 0) { best = item }
            }
            return best
        default:
            throw ExpressionError("unknown function '\(name)'")
        }
    }

    /// Text of a value inside a string: strings as they are, everything else as compact JSON.
    public static func displayText(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return value.encodedText()
    }
}
