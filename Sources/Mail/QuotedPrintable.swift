/// Quoted-printable body encoding (RFC 2045 §6.7) of UTF-8 text.
///
/// Line breaks of any style (CRLF, LF, CR) become CRLF hard breaks; encoded lines are at most
/// 76 characters, longer ones are split with soft breaks (`=` CRLF); whitespace at the end of a
/// line, `=`, control and non-ASCII bytes are written as `=XX`.
enum QuotedPrintable {
    /// The longest encoded line, without its CRLF.
    static let maximumLineLength = 76

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// The encoded text; every line, the last included, ends in CRLF. Empty text gives "".
    static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        for line in lines(of: text) {
            encode(line: line, into: &output)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Splits `text` on CRLF, LF or CR. A final line break does not start another (empty) line.
    static func lines(of text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                result.append(bytes[start..<index])
                if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count {
            result.append(bytes[start..<bytes.count])
        }
        return result
    }

    private static func encode(line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        guard !line.isEmpty else {
            output.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
            return
        }
        var lineLength = 0
        let lastIndex = line.index(before: line.endIndex)
        for index in line.indices {
            let byte = line[index]
            let isLast = index == lastIndex
            let literal: Bool
            switch byte {
            case UInt8(ascii: "="):
                literal = false
            case 33...126:
                literal = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                literal = !isLast
            default:
                literal = false
            }
            let width = literal ? 1 : 3
            // Keep one column for the soft break's "=", except for the line's last token.
            let limit = isLast ? maximumLineLength : maximumLineLength - 1
            if lineLength + width > limit {
                output.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "\r"), UInt8(ascii: "\n")])
                lineLength = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "="))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
            lineLength += width
        }
        output.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
    }
}
