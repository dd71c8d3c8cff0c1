/// Parses expression text into an ``Expression`` (grammar in docs/ir.md, "Expressions").
///
/// Precedence, loosest first: `?:`, `??`, `||`, `&&`, `== !=`, `< <= > >= in`, `+ -`,
/// `* / %`, unary `! -`, then postfix `.name`, `[index]` and calls.
public struct ExpressionParser {
    private var tokens: [Token] = []
    private var position = 0
    private var depth = 0
    private let limits: ExpressionLimits

    /// Parses `text`; throws an ``ExpressionError`` naming the character offset.
    public static func parse(_ text: String, limits: ExpressionLimits = .standard) throws(ExpressionError) -> Expression {
        guard text.count <= limits.maxLength else {
            throw ExpressionError("expression longer than \(limits.maxLength) characters")
        }
        var parser = ExpressionParser(limits: limits)
        parser.tokens = try ExpressionLexer.tokens(text)
        let expression = try parser.conditional()
        guard case .end = parser.current.kind else { throw parser.unexpected("end of expression") }
        return expression
    }

    private init(limits: ExpressionLimits) { self.limits = limits }

    private var current: Token { tokens[min(position, tokens.count - 1)] }

    private mutating func nested<T>(_ body: (inout ExpressionParser) throws(ExpressionError) -> T) throws(ExpressionError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= limits.maxDepth else { throw ExpressionError("expression nested deeper than \(limits.maxDepth) levels", at: current.offset) }
        return try body(&self)
    }

    private mutating func conditional() throws(ExpressionError) -> Expression {
        try nested { (parser: inout ExpressionParser) throws(ExpressionError) -> Expression in
            let condition = try parser.binary(level: 0)
            guard parser.take(.punctuation("?")) else { return condition }
            let then = try parser.conditional()
            try parser.expect(.punctuation(":"), "':' in a conditional")
            let otherwise = try parser.conditional()
            return .conditional(condition, then, otherwise)
        }
    }

    /// Binary operator levels, loosest first.
    private static let levels: [[BinaryOperator]] = [
        [.coalesce], [.or], [.and], [.equal, .notEqual],
        [.less, .lessOrEqual, .greater, .greaterOrEqual, .contains], [.add, .subtract], [.multiply, .divide, .remainder],
    ]

    private mutating func binary(level: Int) throws(ExpressionError) -> Expression {
        guard level < Self.levels.count else { return try unary() }
        var left = try binary(level: level + 1)
        while let op = Self.levels[level].first(where: { current.kind == .operator($0) }) {
            position += 1
            let right = try nested { (parser: inout ExpressionParser) throws(ExpressionError) in try parser.binary(level: level + 1) }
            left = .binary(op, left, right)
        }
        return left
    }

    private mutating func unary() throws(ExpressionError) -> Expression {
        if take(.punctuation("!")) {
            return .unary(.not, try nested { (parser: inout ExpressionParser) throws(ExpressionError) in try parser.unary() })
        }
        if current.kind == .operator(.subtract) {
            position += 1
            return .unary(.negate, try nested { (parser: inout ExpressionParser) throws(ExpressionError) in try parser.unary() })
        }
        return try postfix()
    }

    private mutating func postfix() throws(ExpressionError) -> Expression {
        var expression = try primary()
        var steps = 0
        while true {
            steps += 1
            guard steps <= limits.maxDepth else { throw ExpressionError("path longer than \(limits.maxDepth) steps", at: current.offset) }
            if take(.punctuation(".")) {
                guard case .identifier(let name) = current.kind else { throw unexpected("a field name after '.'") }
                position += 1
                expression = .member(expression, name)
            } else if take(.punctuation("[")) {
                let index = try conditional()
                try expect(.punctuation("]"), "']'")
                if case .literal(.string(let key)) = index { expression = .member(expression, key) } else { expression = .index(expression, index) }
            } else {
                return expression
            }
        }
    }

    private mutating func primary() throws(ExpressionError) -> Expression {
        let token = current
        switch token.kind {
        case .number(let value), .string(let value):
            position += 1
            return .literal(value)
        case .identifier(let name):
            position += 1
            switch name {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "null": return .literal(.null)
            default: break
            }
            guard take(.punctuation("(")) else { return .variable(name) }
            var arguments: [Expression] = []
            if !take(.punctuation(")")) {
                repeat { arguments.append(try conditional()) } while take(.punctuation(","))
                try expect(.punctuation(")"), "')' after the arguments of \(name)")
            }
            return .call(name, arguments)
        case .punctuation("("):
            position += 1
            let inner = try conditional()
            try expect(.punctuation(")"), "')'")
            return inner
        case .punctuation("["):
            position += 1
            var items: [Expression] = []
            if !take(.punctuation("]")) {
                repeat { items.append(try conditional()) } while take(.punctuation(","))
                try expect(.punctuation("]"), "']' at the end of a list")
            }
            return .array(items)
        case .punctuation("{"):
            position += 1
            var fields: [(String, Expression)] = []
            if !take(.punctuation("}")) {
                repeat {
                    let key: String
                    switch current.kind {
                    case .identifier(let name): key = name
                    case .string(.string(let text)): key = text
                    default: throw unexpected("a field name in an object")
                    }
                    guard !fields.contains(where: { $0.0 == key }) else { throw ExpressionError("duplicate field '\(key)' in an object", at: current.offset) }
                    position += 1
                    try expect(.punctuation(":"), "':' after a field name")
                    fields.append((key, try conditional()))
                } while take(.punctuation(","))
                try expect(.punctuation("}"), "'}' at the end of an object")
            }
            return .object(fields)
        default:
            throw unexpected("a value")
        }
    }

    private mutating func take(_ kind: Token.Kind) -> Bool {
        guard current.kind == kind else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ kind: Token.Kind, _ what: String) throws(ExpressionError) {
        guard take(kind) else { throw unexpected(what) }
    }

    private func unexpected(_ expected: String) -> ExpressionError {
        ExpressionError("expected \(expected), found \(current.kind)", at: current.offset)
    }
}
