/// Evaluates an ``Expression`` against the run's variables.
///
/// Semantics (docs/ir.md, "Expressions"): a path through a missing field or through null
/// yields null; falsy values are null, false, 0, "", [] and {}; `&&`, `||` and `??` short-circuit
/// and answer one of their operands; arithmetic is on numbers (integers stay integers, with
/// overflow an error), `+` also joins strings and arrays; comparisons order numbers with numbers
/// and strings with strings; `==` is JSON equality (1 == 1.0). Every step costs one unit of
/// the budget in ``ExpressionLimits/maxCost``.
public struct ExpressionEvaluator {
    private let variables: [String: JSONValue]
    private let limits: ExpressionLimits
    private var cost = 0

    public init(variables: [String: JSONValue], limits: ExpressionLimits = .standard) {
        self.variables = variables
        self.limits = limits
    }

    /// Evaluates `expression` once; throws an ``ExpressionError`` on a type error or a limit.
    public static func evaluate(_ expression: Expression, variables: [String: JSONValue], limits: ExpressionLimits = .standard) throws(ExpressionError) -> JSONValue {
        var evaluator = ExpressionEvaluator(variables: variables, limits: limits)
        return try evaluator.evaluate(expression)
    }

    /// Charges `units` of the evaluation budget.
    mutating func charge(_ units: Int = 1) throws(ExpressionError) {
        cost += units
        guard cost <= limits.maxCost else { throw ExpressionError("expression exceeded its evaluation budget of \(limits.maxCost) steps") }
    }

    func checkSize(_ count: Int) throws(ExpressionError) {
        guard count <= limits.maxValueSize else { throw ExpressionError("expression built a value larger than \(limits.maxValueSize) elements") }
    }

    public mutating func evaluate(_ expression: Expression) throws(ExpressionError) -> JSONValue {
        try charge()
        switch expression {
        case .literal(let value):
            return value
        case .variable(let name):
            return variables[name] ?? .null
        case .member(let base, let name):
            if case .object(let fields) = try evaluate(base) { return fields[name] ?? .null }
            return .null
        case .index(let base, let index):
            let container = try evaluate(base)
            let key = try evaluate(index)
            switch (container, key) {
            case (.array(let items), .integer(let position)):
                let resolved = position < 0 ? Int64(items.count) + position : position
                return resolved >= 0 && resolved < items.count ? items[Int(resolved)] : .null
            case (.object(let fields), .string(let name)):
                return fields[name] ?? .null
            case (.null, _):
                return .null
            default:
                throw ExpressionError("cannot index \(container.typeName) with \(key.typeName)")
            }
        case .array(let items):
            var values: [JSONValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .array(values)
        case .object(let fields):
            var values: [String: JSONValue] = [:]
            for (key, value) in fields { values[key] = try evaluate(value) }
            return .object(values)
        case .unary(.not, let operand):
            return .bool(!(try evaluate(operand)).isTruthy)
        case .unary(.negate, let operand):
            switch try evaluate(operand) {
            case .integer(let value):
                guard value != .min else { throw ExpressionError("integer overflow in -") }
                return .integer(-value)
            case .double(let value): return .double(-value)
            case let other: throw ExpressionError("cannot negate \(other.typeName)")
            }
        case .binary(let op, let left, let right):
            return try binary(op, left, right)
        case .conditional(let condition, let then, let otherwise):
            return try evaluate(condition).isTruthy ? try evaluate(then) : try evaluate(otherwise)
        case .call(let name, let arguments):
            var values: [JSONValue] = []
            for argument in arguments { values.append(try evaluate(argument)) }
            return try ExpressionFunctions.call(name, values, evaluator: &self)
        }
    }

    private mutating func binary(_ op: BinaryOperator, _ leftExpression: Expression, _ rightExpression: Expression) throws(ExpressionError) -> JSONValue {
        let left = try evaluate(leftExpression)
        switch op {
        case .and: return left.isTruthy ? try evaluate(rightExpression) : left
        case .or: return left.isTruthy ? left : try evaluate(rightExpression)
        case .coalesce: return left == .null ? try evaluate(rightExpression) : left
        default: break
        }
        let right = try evaluate(rightExpression)
        switch op {
        case .equal: return .bool(left.jsonEquals(right))
        case .notEqual: return .bool(!left.jsonEquals(right))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order = try Self.compare(left, right, op)
            switch op {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .contains:
            switch right {
            case .array(let items):
                try charge(items.count)
                return .bool(items.contains { $0.jsonEquals(left) })
            case .object(let fields):
                guard case .string(let key) = left else { throw ExpressionError("'in' an object needs a string key, got \(left.typeName)") }
                return .bool(fields[key] != nil)
            case .string(let text):
                guard case .string(let part) = left else { throw ExpressionError("'in' a string needs a string, got \(left.typeName)") }
                try charge(text.utf8.count / 64)
                return .bool(part.isEmpty || text.contains(part))
            case .null: return .bool(false)
            default: throw ExpressionError("'in' needs an array, object or string on the right, got \(right.typeName)")
            }
        case .add:
            switch (left, right) {
            case (.string(let a), .string(let b)):
                try checkSize(a.utf8.count + b.utf8.count)
                try charge((a.utf8.count + b.utf8.count) / 64)
                return .string(a + b)
            case (.array(let a), .array(let b)):
                try checkSize(a.count + b.count)
                try charge(a.count + b.count)
                return .array(a + b)
            default: return try Self.arithmetic(op, left, right)
            }
        default:
            return try Self.arithmetic(op, left, right)
        }
    }

    static func arithmetic(_ op: BinaryOperator, _ left: JSONValue, _ right: JSONValue) throws(ExpressionError) -> JSONValue {
        switch (left, right) {
        case (.integer(let a), .integer(let b)):
            let result: (Int64, Bool)
            switch op {
            case .add: result = a.addingReportingOverflow(b)
            case .subtract: result = a.subtractingReportingOverflow(b)
            case .multiply: result = a.multipliedReportingOverflow(by: b)
            case .divide:
                guard b != 0 else { throw ExpressionError("division by zero") }
                // Int64.min / -1 overflows; so does Int64.min % -1 (the remainder check traps with %).
                let (remainder, overflow) = a.remainderReportingOverflow(dividingBy: b)
                guard !overflow else { throw ExpressionError("integer overflow in \(op.rawValue)") }
                if remainder == 0 {
                    result = a.dividedReportingOverflow(by: b)
                } else {
                    return .double(Double(a) / Double(b))
                }
            case .remainder:
                guard b != 0 else { throw ExpressionError("division by zero") }
                result = a.remainderReportingOverflow(dividingBy: b)
            default: throw ExpressionError("'\(op.rawValue)' is not arithmetic")
            }
            guard !result.1 else { throw ExpressionError("integer overflow in \(op.rawValue)") }
            return .integer(result.0)
        default:
            guard let a = left.numberValue, let b = right.numberValue else {
                throw ExpressionError("'\(op.rawValue)' needs numbers, got \(left.typeName) and \(right.typeName)")
            }
            let value: Double
            switch op {
            case .add: value = a + b
            case .subtract: value = a - b
            case .multiply: value = a * b
            case .divide:
                guard b != 0 else { throw ExpressionError("division by zero") }
                value = a / b
            case .remainder:
                guard b != 0 else { throw ExpressionError("division by zero") }
                value = a.truncatingRemainder(dividingBy: b)
            default: throw ExpressionError("'\(op.rawValue)' is not arithmetic")
            }
            guard value.isFinite else { throw ExpressionError("number out of range in \(op.rawValue)") }
            return .double(value)
        }
    }

    /// -1, 0 or 1; numbers with numbers, strings with strings (by Unicode scalars).
    static func compare(_ left: JSONValue, _ right: JSONValue, _ op: BinaryOperator) throws(ExpressionError) -> Int {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : (a == b ? 0 : 1)
        case (.integer(let a), .integer(let b)):
            return a < b ? -1 : (a == b ? 0 : 1)
        default:
            guard let a = left.numberValue, let b = right.numberValue else {
                throw ExpressionError("'\(op.rawValue)' compares numbers with numbers or strings with strings, got \(left.typeName) and \(right.typeName)")
            }
            return a < b ? -1 : (a == b ? 0 : 1)
        }
    }
}

extension JSONValue {
    /// Falsy: null, false, 0, "", [] and {}; everything else is truthy.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let value): value
        case .integer(let value): value != 0
        case .double(let value): value != 0
        case .string(let value): !value.isEmpty
        case .array(let value): !value.isEmpty
        case .object(let value): !value.isEmpty
        }
    }

    /// The value as a Double when it is a number.
    public var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// JSON equality: numbers compare by value (1 == 1.0), containers element by element.
    public func jsonEquals(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.integer(let a), .double(let b)), (.double(let b), .integer(let a)): return Double(a) == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.jsonEquals($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { value.jsonEquals($0) } ?? false }
        default: return self == other
        }
    }
}
