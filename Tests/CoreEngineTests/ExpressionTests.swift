import CoreEngine
import Testing

private func eval(_ text: String, _ variables: [String: JSONValue] = [:]) throws -> JSONValue {
    try ExpressionEvaluator.evaluate(try ExpressionParser.parse(text), variables: variables)
}

private func failure(_ text: String, _ variables: [String: JSONValue] = [:]) -> String? {
    do {
        _ = try eval(text, variables)
        return nil
    } catch let error as ExpressionError {
        return error.message
    } catch {
        return "\(error)"
    }
}

@Suite struct ExpressionTests {
    static let input: [String: JSONValue] = [
        "input": ["id": "INV-7", "amount": 1500, "rate": 0.2, "tags": ["urgent", "eu"], "customer": ["name": "Acme", "vip": true],
                  "lines": [["sku": "a", "qty": 2], ["sku": "b", "qty": 3]], "note": nil],
        "decision": ["approved": false],
    ]

    @Test(arguments: [
        ("input.amount > 1000", JSONValue.bool(true)),
        ("input.amount * input.rate", .double(300)),
        ("input.amount / 3", .integer(500)),
        ("7 / 2", .double(3.5)),
        ("7 % 4", .integer(3)),
        ("-input.amount + 1", .integer(-1499)),
        ("input.customer.name", .string("Acme")),
        ("input['customer'].vip", .bool(true)),
        ("input.lines[1].qty", .integer(3)),
        ("input.lines[-1].sku", .string("b")),
        ("input.lines[5]", .null),
        ("input.missing.deeper", .null),
        ("input.note ?? 'none'", .string("none")),
        ("decision.approved || 'fallback'", .string("fallback")),
        ("decision.approved && boom.x", .bool(false)),
        ("!decision.approved", .bool(true)),
        ("'eu' in input.tags", .bool(true)),
        ("'name' in input.customer", .bool(true)),
        ("'cm' in 'Acme'", .bool(true)),
        ("1 == 1.0", .bool(true)),
        ("[1, {a: 2}] == [1.0, {'a': 2}]", .bool(true)),
        ("'abc' < 'abd'", .bool(true)),
        ("input.amount >= 1500 ? 'big' : 'small'", .string("big")),
        ("1 + 2 * 3 - 4", .integer(3)),
        ("(1 + 2) * 3", .integer(9)),
        ("'a' + 'b'", .string("ab")),
        ("[1] + [2]", .array([1, 2])),
        ("{total: input.amount, id: input.id}", .object(["total": 1500, "id": "INV-7"])),
        ("len(input.tags) + len('héllo') + len({})", .integer(7)),
        ("upper(input.id) + lower('X') + trim('  y ')", .string("INV-7xy")),
        ("starts_with(input.id, 'INV') && ends_with(input.id, '7')", .bool(true)),
        ("contains(input.tags, 'urgent')", .bool(true)),
        ("replace('a-b-c', '-', '+')", .string("a+b+c")),
        ("split('a,b', ',')", .array(["a", "b"])),
        ("join(input.tags, '/')", .string("urgent/eu")),
        ("slice('invoice', 0, 3) + to_string(slice([1,2,3], -1)[0])", .string("inv3")),
        ("input.tags['x']", .null),
        ("keys({b: 1, a: 2})", .array(["a", "b"])),
        ("values({b: 1, a: 2})", .array([2, 1])),
        ("merge({a: 1}, {a: 2, b: 3})", .object(["a": 2, "b": 3])),
        ("to_string(input.tags) + to_string(3)", .string("[\"urgent\",\"eu\"]3")),
        ("to_number('42') + to_number(' 1.5 ')", .double(43.5)),
        ("type(input.note) + type(input.lines)", .string("nullarray")),
        ("default(input.note, 7)", .integer(7)),
        ("abs(-3) + floor(2.7) + ceil(2.1) + round(2.5)", .integer(11)),
        ("round(3.14159, 2)", .double(3.14)),
        ("min(3, 1, 2) + max([4, 9, 2]) + sum([1, 2, 3])", .integer(16)),
        ("sum(input.lines[0].qty, 1.5)", .double(3.5)),
        ("\"esc \\\"q\\\" \\u00e9\\n\"", .string("esc \"q\" é\n")),
        ("true && null", .null),
        ("[] || {}", .object([:])),
    ])
    func evaluates(_ text: String, _ expected: JSONValue) throws {
        #expect(try eval(text, Self.input) == expected, "\(text)")
    }

    @Test(arguments: [
        ("1 +", "expected a value, found end of expression"),
        ("(1", "expected ')'"),
        ("a.", "expected a field name after '.'"),
        ("1 = 1", "unexpected character '='"),
        ("'open", "unterminated string"),
        ("a ? b", "expected ':' in a conditional"),
        ("{a: 1, a: 2}", "duplicate field 'a' in an object"),
        ("f(1,", "expected a value"),
        ("1e", "expected a digit in the exponent"),
        ("99999999999999999999999999e999999", "number out of range"),
        ("'\\q'", "invalid escape"),
        ("a & b", "unexpected character '&'"),
    ])
    func reportsParseErrors(_ text: String, _ message: String) {
        #expect(throws: ExpressionError.self) { try ExpressionParser.parse(text) }
        do {
            _ = try ExpressionParser.parse(text)
        } catch {
            #expect(error.message.contains(message), "\(text): \(error.message)")
            #expect(error.offset != nil)
        }
    }

    @Test(arguments: [
        ("'a' - 1", "'-' needs numbers"),
        ("1 / 0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("9223372036854775807 + 1", "integer overflow"),
        ("-(-9223372036854775807 - 1)", "integer overflow"),
        ("1 < 'a'", "compares numbers with numbers"),
        ("nope(1)", "unknown function 'nope'"),
        ("len(1, 2)", "len takes 1 arguments, got 2"),
        ("upper(1)", "upper: argument 1 must be a string"),
        ("1 in 2", "'in' needs an array"),
        ("input.tags[to_string(1)]", "cannot index array with string"),
        ("'a' + 1", "'+' needs numbers, got string and number"),
        ("to_number('x')", "is not a number"),
        ("1.5e308 * 10", "number out of range"),
    ])
    func reportsEvaluationErrors(_ text: String, _ message: String) {
        let text = failure(text, Self.input)
        #expect(text?.contains(message) == true, "\(text ?? "no error")")
    }

    @Test func limitsBoundLengthDepthCostAndSize() {
        #expect(failure(String(repeating: "1+", count: 3000) + "1")?.contains("longer than") == true)
        #expect(failure(String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100))?.contains("nested deeper") == true)
        #expect(failure(String(repeating: "!", count: 100) + "true")?.contains("nested deeper") == true)
        var small = ExpressionLimits()
        small.maxCost = 50
        let list: JSONValue = .array(Array(repeating: 1, count: 100))
        #expect(throws: ExpressionError.self) {
            try ExpressionEvaluator.evaluate(try ExpressionParser.parse("sum(xs)"), variables: ["xs": list], limits: small)
        }
        var tiny = ExpressionLimits()
        tiny.maxValueSize = 10
        #expect(throws: ExpressionError.self) {
            try ExpressionEvaluator.evaluate(try ExpressionParser.parse("'aaaaaa' + 'bbbbbb'"), variables: [:], limits: tiny)
        }
    }

    @Test func reportsTheVariablesAnExpressionReads() throws {
        #expect(try ExpressionParser.parse("input.a + len(decision.x) > limit ? y[i] : 'k'").variables == ["input", "decision", "limit", "y", "i"])
    }

    @Test func neverTrapsOnArbitraryInput() {
        // A cheap deterministic sweep; the fuzz target (issue 3) goes much further.
        var generator = SplitMix(seed: 7)
        let alphabet = Array("ab01.[]{}()!?:'\"\\+-*/%<>=&|, inuleftr_")
        for _ in 0..<5000 {
            let length = Int(generator.next() % 24)
            let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            if let expression = try? ExpressionParser.parse(text) {
                _ = try? ExpressionEvaluator.evaluate(expression, variables: Self.input)
            }
        }
    }
}

@Suite struct TemplateTests {
    @Test func aSingleHoleKeepsTheValuesType() throws {
        #expect(try Template("{{ input.lines }}").render(variables: ExpressionTests.input) == ExpressionTests.input["input"]?.objectValue?["lines"])
        #expect(try Template("{{input.amount}}").render(variables: ExpressionTests.input) == 1500)
    }

    @Test func mixedTextRendersAString() throws {
        let template = try Template("Invoice {{ input.id }} for {{input.amount}} {{ input.tags }}{{ '{{' }}")
        #expect(try template.render(variables: ExpressionTests.input) == "Invoice INV-7 for 1500 [\"urgent\",\"eu\"]{{")
        #expect(template.variables == ["input"])
        #expect(!template.isConstant)
        #expect(try Template("plain").isConstant)
    }

    @Test func errorsPointIntoTheTemplate() {
        #expect(throws: ExpressionError("'{{' without a closing '}}'", at: 4)) { try Template("abc {{ x") }
        do {
            _ = try Template("ab {{ 1 + }}")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("in {{ }}:"))
            #expect(error.offset == 10)  // where the inner expression ends: at the '}}'
        }
    }
}

/// A small deterministic generator for property sweeps.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
