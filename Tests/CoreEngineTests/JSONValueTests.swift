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

    /// Foundation's parser forgives a trailing comma; docs/api.md says so. This pins the behaviour.
    @Test func forgivesATrailingCommaLikeFoundation() throws {
        #expect(try JSONValue.parse(Array("[1,]".utf8)) == [1])
    }

    @Test func typeNamesForMessages() {
        #expect(JSONValue.integer(1).typeName == "number")
        #expect(JSONValue.array([]).typeName == "array")
        #expect(JSONValue.null.typeName == "null")
    }
}
