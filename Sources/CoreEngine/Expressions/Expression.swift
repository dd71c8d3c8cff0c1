/// A parsed expression of the IR's expression language (docs/ir.md, "Expressions").
///
/// Expressions are pure: they read the run's variables and call a fixed set of pure functions;
/// they cannot reach the host. Parsing and evaluation are total (any input gives a value or an
/// ``ExpressionError``) and bounded (length, depth, evaluation cost).
public indirect enum Expression: Sendable, Equatable {
    case literal(JSONValue)
    /// A variable by name: the root of a path (`input`, `decision`, ...).
    case variable(String)
    /// `base.name` or `base["name"]`.
    case member(Expression, String)
    /// `base[index]` with a computed index (array position or object key).
    case index(Expression, Expression)
    case array([Expression])
    case object([(String, Expression)])
    case unary(UnaryOperator, Expression)
    case binary(BinaryOperator, Expression, Expression)
    /// `condition ? then : else`.
    case conditional(Expression, Expression, Expression)
    case call(String, [Expression])

    public static func == (lhs: Expression, rhs: Expression) -> Bool {
        switch (lhs, rhs) {
        case (.literal(let a), .literal(let b)): a == b
        case (.variable(let a), .variable(let b)): a == b
        case (.member(let a, let x), .member(let b, let y)): a == b && x == y
        case (.index(let a, let x), .index(let b, let y)): a == b && x == y
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.unary(let o, let a), .unary(let p, let b)): o == p && a == b
        case (.binary(let o, let a, let x), .binary(let p, let b, let y)): o == p && a == b && x == y
        case (.conditional(let a, let b, let c), .conditional(let x, let y, let z)): a == x && b == y && c == z
        case (.call(let f, let a), .call(let g, let b)): f == g && a == b
        default: false
        }
    }

    /// The expressions directly inside this one.
    public var children: [Expression] {
        switch self {
        case .literal, .variable: []
        case .member(let base, _): [base]
        case .index(let base, let index): [base, index]
        case .array(let items): items
        case .object(let fields): fields.map(\.1)
        case .unary(_, let operand): [operand]
        case .binary(_, let left, let right): [left, right]
        case .conditional(let a, let b, let c): [a, b, c]
        case .call(_, let arguments): arguments
        }
    }

    /// The variables the expression reads (roots of its paths), for the validator.
    public var variables: Set<String> {
        if case .variable(let name) = self { return [name] }
        return children.reduce(into: []) { $0.formUnion($1.variables) }
    }

    /// The functions the expression calls.
    public var functions: Set<String> {
        let inner: Set<String> = children.reduce(into: []) { $0.formUnion($1.functions) }
        if case .call(let name, _) = self { return inner.union([name]) }
        return inner
    }
}

public enum UnaryOperator: String, Sendable {
    case not = "!"
    case negate = "-"
}

public enum BinaryOperator: String, Sendable, CaseIterable {
    case or = "||", and = "&&", coalesce = "??"
    case equal = "==", notEqual = "!="
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    case contains = "in"
}

/// Why an expression could not be parsed or evaluated. Messages are documented in docs/ir.md.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Character offset in the expression text where parsing failed; nil for evaluation errors.
    public let offset: Int?
    public let message: String

    public init(_ message: String, at offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    public var description: String { offset.map { "\(message) (at character \($0))" } ?? message }
}

/// The bounds every expression lives within.
public struct ExpressionLimits: Sendable {
    /// Longest expression text, in characters.
    public var maxLength = 4096
    /// Deepest nesting of the syntax tree.
    public var maxDepth = 64
    /// Most evaluation steps (nodes visited plus elements touched by functions) for one evaluation.
    public var maxCost = 100_000
    /// Longest string or array an evaluation may build.
    public var maxValueSize = 1 << 20

    public init() {}
    public static let standard = ExpressionLimits()
}
