import CoreEngine
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test func parsesEveryKindAndKeepsIntegersApartFromDoubles() throws {
        let value = try JSONValue.parse(Array(#"{"a": 1, "b": 1.5, "c": "x", "d": [true, null], "e": {"f": -9223372036854775808}}"#.utf8))
        #expect(value == [
            "a": .integer(1), "b": .double(1.5), "c": "x", "d": [true, nil], "e": ["f": .integer(Int64.min)],
        ])
    }

    @Test func encodedTextRoundTrips() throws {
        let value: JSONValue = ["z": [1, "two", ["three": 3.25]], "a": nil, "m": false]
        let text = value.encodedText()
        #expect(text == #"{"a":null,"m":false,"z":[1,"two",{"three":3.25}]}"#)
        #expect(try JSONValue.parse(Array(text.utf8)) == value)
    }

    @Test func rejectsBytesThatAreNotUTF8() {
        #expect(throws: JSONParseError.notUTF8) { try JSONValue.parse([0x22, 0xff, 0x22]) }
    }

    @Test(arguments: ["", "{", "{\"a\":}", "[,]", "nul", "{\"a\" 1}", "1 2", "[1 2]", "'a'"])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test(arguments: ["[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "01", "1.", ".5", "-", "1e", "\"\u{1}\"", "\"\\x\"",
                      "\"\\ud800\"", "\"\\udc00x\"", "tru", "nulll", "[1]x", "1e999", "{\"a\"}", "{1:2}"])
    func isStrictWhereFoundationForgives(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func namesTheOffsetAndTheDuplicateKey() {
        #expect(throws: JSONParseError.malformed("duplicate key \"a\" at byte 9")) { try JSONValue.parse(Array(#"{"a": 1, "a": 2}"#.utf8)) }
        #expect(throws: JSONParseError.malformed("expected ',' or ']' in an array at byte 3")) { try JSONValue.parse(Array("[1 2]".utf8)) }
    }

    @Test func decodesEscapesAndNumbers() throws {
        #expect(try JSONValue.parse(Array(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude80""#.utf8)) == .string("a\"\\/\u{8}\u{c}\n\r\té🚀"))
        #expect(try JSONValue.parse(Array("[0, -0, 12, -7.5, 1E3, 2e-2, 9223372036854775807, 9223372036854775808]".utf8)) ==
            [0, 0, 12, -7.5, 1000.0, 0.02, .integer(.max), .double(9223372036854775808.0)])
        #expect(try JSONValue.parse(Array(" \t\r\n{ } ".utf8)) == [:])
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONValue.parse(Array(fine.utf8)) }
    }

    @Test func typeNamesForMessages() {
        #expect(JSONValue.integer(1).typeName == "number")
        #expect(JSONValue.array([]).typeName == "array")
        #expect(JSONValue.null.typeName == "null")
    }
}

@Suite struct JSONValueEncodingTests {
    @Test func escapesWhatJSONRequiresAndRoundTrips() throws {
        let text: JSONValue = .string("quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} é ✓ 🚀 /")
        let encoded = text.encodedText()
        #expect(encoded == #""quote \" backslash \\ newline \n tab \t nul \u0000 bell \u0007 é ✓ 🚀 /""#)
        #expect(try JSONValue.parse(Array(encoded.utf8)) == text)
    }

    @Test func agreesWithFoundationOnEveryKind() throws {
        let value: JSONValue = ["b": [1, -2, 3.5, 1e100, -0.25, true, nil], "a": ["x": "y", "": ""], "c": .integer(.min)]
        let foundation = try JSONSerialization.jsonObject(with: Data(value.encodedText().utf8)) as? NSDictionary
        let expected = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? NSDictionary
        #expect(foundation != nil && foundation == expected)
        #expect(try JSONValue.parse(Array(value.encodedText().utf8)) == value)
    }

    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSONValue.array([.double(.nan), .double(.infinity)]).encodedText() == "[null,null]")
    }
}
