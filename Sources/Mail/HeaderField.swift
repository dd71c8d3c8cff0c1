import Foundation

/// Writes header fields (RFC 5322 §2.2): names checked, values cleaned of line breaks, folded at
/// whitespace, and encoded as RFC 2047 encoded-words when they are not plain ASCII.
enum HeaderField {
    /// The line length folding aims for (RFC 5322 §2.1.1 "SHOULD").
    static let preferredLineLength = 78
    /// The longest line holding encoded-words (RFC 2047 §2).
    static let encodedWordLineLength = 76
    /// The longest header name accepted, so that any header fits the 998-character line limit.
    static let maximumNameLength = 76

    /// Fields the message writes itself; extra headers may not repeat them.
    static let reservedNames: Set<String> = [
        "date", "from", "to", "subject", "message-id", "mime-version", "content-type",
        "content-transfer-encoding",
    ]

    /// Whether `name` is a valid field name: 1…76 printable ASCII characters other than `:`.
    static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumNameLength else { return false }
        return name.utf8.allSatisfy { (33...126).contains($0) && $0 != UInt8(ascii: ":") }
    }

    /// Whether `value` holds a character that could end the header line (CR or LF).
    static func containsLineBreak(_ value: String) -> Bool {
        value.utf8.contains(UInt8(ascii: "\r")) || value.utf8.contains(UInt8(ascii: "\n"))
    }

    /// `value` with each run of CR/LF replaced by one space and other control characters removed
    /// (tab is kept), so it cannot end its header line or start another.
    static func sanitizedValue(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        var lastWasBreak = false
        for scalar in value.unicodeScalars {
            let isBreak =
                scalar == "\r" || scalar == "\n" || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
            if isBreak {
                if !lastWasBreak { scalars.append(" ") }
                lastWasBreak = true
                continue
            }
            lastWasBreak = false
            let value = scalar.value
            if scalar != "\t", value < 0x20 || value == 0x7F || (0x80..<0xA0).contains(value) {
                continue
            }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// A complete field, CRLF-terminated, for an unstructured value (such as a subject): the value is
    /// cleaned, then RFC 2047 encoded when it is not plain ASCII (or could not be folded), else folded.
    static func unstructured(name: String, value: String) -> String {
        let clean = sanitizedValue(value)
        return needsEncoding(clean, name: name) ? encoded(name: name, value: clean) : folded(name: name, value: clean)
    }

    /// Whether `value` must be written as encoded-words: it has non-ASCII characters, looks like an
    /// encoded-word itself, or has a word too long to fit one line.
    static func needsEncoding(_ value: String, name: String) -> Bool {
        if value.unicodeScalars.contains(where: { !$0.isASCII }) { return true }
        if value.contains("=?") { return true }
        let longestWord = 998 - name.utf8.count - 2
        return value.split(separator: " ").contains { $0.utf8.count > longestWord }
    }

    /// `Name: value` CRLF, folded at spaces so lines stay within 78 characters where the words allow.
    /// The value must be ASCII without line breaks.
    static func folded(name: String, value: String) -> String {
        var output = name + ":"
        var lineLength = output.utf8.count
        var lineHasWord = false
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            let width = word.utf8.count
            if lineHasWord, !word.isEmpty, lineLength + 1 + width > preferredLineLength {
                output += "\r\n"
                lineLength = 0
            }
            output += " "
            output += word
            lineLength += 1 + width
            if !word.isEmpty { lineHasWord = true }
        }
        return output + "\r\n"
    }

    /// `Name: =?UTF-8?B?…?=` CRLF, one encoded-word per line, each line at most 76 characters,
    /// never splitting a UTF-8 character across two encoded-words.
    static func encoded(name: String, value: String) -> String {
        let overhead = "=?UTF-8?B??=".utf8.count
        func byteBudget(lineLength: Int) -> Int {
            max(0, (encodedWordLineLength - lineLength - 1 - overhead) / 4 * 3)
        }
        var output = name + ":"
        var budget = byteBudget(lineLength: output.utf8.count)
        if budget < 4 {
            output += "\r\n"
            budget = byteBudget(lineLength: 0)
        }
        var chunk: [UInt8] = []
        var wroteWord = false
        func flush() {
            if wroteWord { output += "\r\n" }
            output += " =?UTF-8?B?" + Data(chunk).base64EncodedString() + "?="
            wroteWord = true
            chunk.removeAll(keepingCapacity: true)
            budget = byteBudget(lineLength: 0)
        }
        for scalar in value.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > budget { flush() }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty || !wroteWord { flush() }
        return output + "\r\n"
    }
}
