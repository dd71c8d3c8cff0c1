/// A string with `{{ expression }}` holes (docs/ir.md, "Templates").
///
/// A template that is exactly one hole (`"{{ receipt }}"`) renders to the expression's value
/// of any type; otherwise each hole renders as text (strings as they are, other values as
/// compact JSON) and the result is a string. To write `{{` literally, use `{{ "{{" }}`.
public struct Template: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        case expression(Expression)
    }

    public let parts: [Part]

    /// Parses `text`; throws an ``ExpressionError`` for an unclosed hole or a bad expression
    /// (offsets count from the start of the template).
    public init(_ text: String, limits: ExpressionLimits = .standard) throws(ExpressionError) {
        var parts: [Part] = []
        var rest = Substring(text)
        var consumed = 0
        while let open = rest.range(of: "{{") {
            let before = rest[..<open.lowerBound]
            if !before.isEmpty { parts.append(.text(String(before))) }
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                throw ExpressionError("'{{' without a closing '}}'", at: consumed + before.count)
            }
            let source = String(afterOpen[..<close.lowerBound])
            do {
                parts.append(.expression(try ExpressionParser.parse(source, limits: limits)))
            } catch {
                throw ExpressionError("in {{ }}: \(error.message)", at: consumed + before.count + 2 + (error.offset ?? 0))
            }
            consumed += text.distance(from: rest.startIndex, to: close.upperBound)
            rest = afterOpen[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// True when the string has no holes (it is a constant).
    public var isConstant: Bool { !parts.contains { if case .expression = $0 { true } else { false } } }

    /// The variables the holes read.
    public var variables: Set<String> {
        parts.reduce(into: []) { result, part in if case .expression(let expression) = part { result.formUnion(expression.variables) } }
    }

    public func render(variables: [String: JSONValue], limits: ExpressionLimits = .standard) throws(ExpressionError) -> JSONValue {
        if parts.count == 1, case .expression(let expression) = parts[0] {
            return try ExpressionEvaluator.evaluate(expression, variables: variables, limits: limits)
        }
        var evaluator = ExpressionEvaluator(variables: variables, limits: limits)
        var result = ""
        for part in parts {
            switch part {
            case .text(let text): result += text
            case .expression(let expression): result += ExpressionFunctions.displayText(try evaluator.evaluate(expression))
            }
            try evaluator.checkSize(result.utf8.count)
        }
        return .string(result)
    }
}
