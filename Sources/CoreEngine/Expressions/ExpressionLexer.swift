/// A token of the expression language, with the character offset where it starts.
struct Token: Sendable {
    enum Kind: Sendable, Equatable, CustomStringConvertible {
        case number(JSONValue)
        case string(JSONValue)
        case identifier(String)
        case `operator`(BinaryOperator)
        case punctuation(Character)
        case end

        var description: String {
            switch self {
            case .number(let value): value.encodedText()
            case .string(let value): value.encodedText()
            case .identifier(let name): "'\(name)'"
            case .operator(let op): "'\(op.rawValue)'"
            case .punctuation(let character): "'\(character)'"
            case .end: "end of expression"
            }
        }
    }

    let kind: Kind
    let offset: Int
}

/// Splits expression text into tokens.
enum ExpressionLexer {
    static func tokens(_ text: String) throws(ExpressionError) -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var index = 0
        func peek(_ offset: Int = 0) -> Character? { index + offset < characters.count ? characters[index + offset] : nil }

        while index < characters.count {
            let character = characters[index]
            let start = index
            if character.isWhitespace {
                index += 1
                continue
            }
            if character.isASCII, character.isLetter || character == "_" {
                while let next = peek(), next.isASCII, next.isLetter || next.isNumber || next == "_" { index += 1 }
                let word = String(characters[start..<index])
                tokens.append(Token(kind: word == "in" ? .operator(.contains) : .identifier(word), offset: start))
                continue
            }
            if character.isASCII, character.isNumber {
                while let next = peek(), next.isASCII, next.isNumber { index += 1 }
                var isWhole = true
                if peek() == ".", let after = peek(1), after.isASCII, after.isNumber {
                    isWhole = false
                    index += 1
                    while let next = peek(), next.isASCII, next.isNumber { index += 1 }
                }
                if peek() == "e" || peek() == "E" {
                    isWhole = false
                    index += 1
                    if peek() == "+" || peek() == "-" { index += 1 }
                    guard let digit = peek(), digit.isASCII, digit.isNumber else { throw ExpressionError("expected a digit in the exponent", at: index) }
                    while let next = peek(), next.isASCII, next.isNumber { index += 1 }
                }
                let literal = String(characters[start..<index])
                if isWhole, let integer = Int64(literal) {
                    tokens.append(Token(kind: .number(.integer(integer)), offset: start))
                } else if let double = Double(literal), double.isFinite {
                    tokens.append(Token(kind: .number(.double(double)), offset: start))
                } else {
                    throw ExpressionError("number out of range", at: start)
                }
                continue
            }
            if character == "\"" || character == "'" {
                tokens.append(Token(kind: .string(.string(try string(characters, &index, quote: character))), offset: start))
                continue
            }
            let pair = peek(1).map { String([character, $0]) }
            if let pair, let op = BinaryOperator(rawValue: pair), op != .contains {
                tokens.append(Token(kind: .operator(op), offset: start))
                index += 2
                continue
            }
            if let op = BinaryOperator(rawValue: String(character)) {
                tokens.append(Token(kind: .operator(op), offset: start))
                index += 1
                continue
            }
            if "!?:.,()[]{}".contains(character) {
                tokens.append(Token(kind: .punctuation(character), offset: start))
                index += 1
                continue
            }
            throw ExpressionError("unexpected character '\(character)'", at: start)
        }
        tokens.append(Token(kind: .end, offset: characters.count))
        return tokens
    }

    private static func string(_ characters: [Character], _ index: inout Int, quote: Character) throws(ExpressionError) -> String {
        let start = index
        index += 1
        var result = ""
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == quote { return result }
            guard character == "\\" else {
                result.append(character)
                continue
            }
            guard index < characters.count else { break }
            let escape = characters[index]
            index += 1
            switch escape {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "\\", "\"", "'": result.append(escape)
            case "u":
                guard index + 4 <= characters.count, let code = UInt32(String(characters[index..<index + 4]), radix: 16),
                      let scalar = Unicode.Scalar(code) else {
                    throw ExpressionError("invalid \\u escape: use four hex digits of a Unicode scalar", at: index - 2)
                }
                result.unicodeScalars.append(scalar)
                index += 4
            default: throw ExpressionError("invalid escape '\\\(escape)'", at: index - 2)
            }
        }
        throw ExpressionError("unterminated string", at: start)
    }
}
