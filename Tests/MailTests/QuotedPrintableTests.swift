import Testing

@testable import Mail

@Suite struct QuotedPrintableTests {
    private func roundTrip(_ text: String) -> String {
        String(decoding: TestDecoding.quotedPrintable(QuotedPrintable.encode(text)), as: UTF8.self)
    }

    @Test func plainASCIIIsUnchanged() {
        #expect(QuotedPrintable.encode("Hello, world!\n") == "Hello, world!\r\n")
    }

    @Test func equalsSignAndNonASCIIAreEscaped() {
        #expect(QuotedPrintable.encode("a=b ü") == "a=3Db =C3=BC\r\n")
    }

    @Test func trailingWhitespaceIsEscaped() {
        #expect(QuotedPrintable.encode("end \nTab\t\n") == "end=20\r\nTab=09\r\n")
    }

    @Test func controlCharactersAreEscaped() {
        #expect(QuotedPrintable.encode("a\u{0}b\u{7F}") == "a=00b=7F\r\n")
    }

    @Test func longLinesGetSoftBreaksWithinSeventySixCharacters() {
        let line = String(repeating: "abcdefghij", count: 30)
        let encoded = QuotedPrintable.encode(line)
        let lines = encoded.components(separatedBy: "\r\n").dropLast()
        #expect(lines.count == 4)
        for (index, encodedLine) in lines.enumerated() {
            #expect(encodedLine.count <= 76)
            #expect(encodedLine.hasSuffix("=") == (index < lines.count - 1))
        }
        #expect(roundTrip(line) == line + "\n")
    }

    @Test func escapesAreNeverSplitAcrossSoftBreaks() {
        for prefixLength in 60...80 {
            let text = String(repeating: "x", count: prefixLength) + String(repeating: "é", count: 30)
            let encoded = QuotedPrintable.encode(text)
            for line in encoded.components(separatedBy: "\r\n") {
                #expect(line.count <= 76)
                // A soft break "=" is the only "=" allowed without two hex digits after it.
                let bytes = Array(line.utf8)
                for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "=") {
                    #expect(i == bytes.count - 1 || i + 2 < bytes.count)
                }
            }
            #expect(roundTrip(text) == text + "\n")
        }
    }

    @Test func lineOfExactlySeventySixCharactersIsNotBroken() {
        let line = String(repeating: "y", count: 76)
        #expect(QuotedPrintable.encode(line) == line + "\r\n")
        let longer = String(repeating: "y", count: 77)
        #expect(QuotedPrintable.encode(longer) == String(repeating: "y", count: 75) + "=\r\nyy\r\n")
    }

    @Test func trailingSpaceAtSoftBreakBoundary() {
        let text = String(repeating: "z", count: 74) + "  "
        let encoded = QuotedPrintable.encode(text)
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.count <= 76)
            #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
        }
        #expect(roundTrip(text) == text + "\n")
    }

    @Test func lineBreakStylesAreNormalised() {
        #expect(QuotedPrintable.encode("a\r\nb\nc\rd") == "a\r\nb\r\nc\r\nd\r\n")
        #expect(QuotedPrintable.encode("a\n\n") == "a\r\n\r\n")
        #expect(QuotedPrintable.encode("") == "")
    }

    @Test func mixedTextRoundTrips() {
        let text =
            "Grüße aus Zürich — 100 % = ok?\n\n\tindented\n"
            + String(repeating: "日本語のテキスト", count: 20) + "\n"
        #expect(roundTrip(text) == text)
    }
}
