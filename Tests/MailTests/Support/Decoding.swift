import Foundation

/// Independent decoders, so tests check what a mail reader would see.
enum TestDecoding {
    /// Decodes quoted-printable text with CRLF line endings back to its bytes (each hard break as LF).
    static func quotedPrintable(_ encoded: String) -> [UInt8] {
        var output: [UInt8] = []
        let lines = encoded.components(separatedBy: "\r\n")
        for (index, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            var i = 0
            var softBreak = false
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "=") {
                    if i == bytes.count - 1 {
                        softBreak = true
                        i += 1
                        continue
                    }
                    if i + 2 < bytes.count,
                        let value = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
                    {
                        output.append(value)
                        i += 3
                        continue
                    }
                }
                output.append(bytes[i])
                i += 1
            }
            if !softBreak, index < lines.count - 1 {
                output.append(UInt8(ascii: "\n"))
            }
        }
        return output
    }

    /// Unfolds a header block and decodes RFC 2047 `=?UTF-8?B?…?=` words in `name`'s value.
    static func headerValue(_ name: String, in rendered: String) -> String? {
        let head = rendered.components(separatedBy: "\r\n\r\n").first ?? ""
        let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
        for line in unfolded.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":"),
                line[..<colon].lowercased() == name.lowercased()
            else { continue }
            var value = String(line[line.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
            return decodeEncodedWords(value)
        }
        return nil
    }

    /// Decodes adjacent B-encoded UTF-8 encoded-words (whitespace between them dropped).
    static func decodeEncodedWords(_ value: String) -> String {
        let words = value.split(separator: " ", omittingEmptySubsequences: false)
        guard !words.isEmpty,
            words.allSatisfy({ $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        else { return value }
        var bytes: [UInt8] = []
        for word in words {
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            bytes += Data(base64Encoded: String(payload)).map(Array.init) ?? []
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The header block and the body of rendered text.
    static func split(_ rendered: String) -> (head: String, body: String) {
        guard let range = rendered.range(of: "\r\n\r\n") else { return (rendered, "") }
        return (String(rendered[..<range.lowerBound]), String(rendered[range.upperBound...]))
    }
}
