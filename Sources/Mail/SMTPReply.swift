/// One complete reply of an SMTP server: a three-digit code and one or more lines of text.
struct SMTPReply: Sendable, Equatable {
    /// The reply code, 200...599.
    var code: Int
    /// The text of each line, without the code and separator.
    var lines: [String]

    /// 2yz: the command was accepted.
    var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3yz: the server waits for more (after `DATA` or an `AUTH` challenge).
    var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4yz: refused for now; trying again later may work.
    var isTransientNegative: Bool { (400..<500).contains(code) }
    /// 5yz: refused for good.
    var isPermanentNegative: Bool { (500..<600).contains(code) }

    /// The lines joined by spaces and shortened, for error messages.
    var summary: String {
        let joined = lines.joined(separator: " ")
        let limit = 300
        return joined.count > limit ? String(joined.prefix(limit)) + "…" : joined
    }
}

/// Assembles reply lines (already framed) into replies, following RFC 5321 §4.2:
/// `250-first`, `250-second`, `250 last` form one reply; `250 only` or `250` alone is a whole reply.
struct SMTPReplyParser {
    /// The most lines one reply may have (an `EHLO` reply lists a few dozen at most).
    static let maximumLines = 1_000

    private var pendingCode: Int?
    private var pendingLines: [String] = []

    /// True when no multi-line reply is half-read.
    var isIdle: Bool { pendingCode == nil }

    /// Feeds one line (without its CRLF); returns the reply it completes, if any.
    mutating func consume(line: String) throws(SMTPError) -> SMTPReply? {
        let utf8 = Array(line.utf8)
        guard utf8.count >= 3,
            let code = Self.code(utf8[0], utf8[1], utf8[2])
        else {
            throw .protocolViolation("malformed reply line: \(Self.excerpt(line))")
        }
        let isLast: Bool
        if utf8.count == 3 {
            isLast = true
        } else if utf8[3] == UInt8(ascii: " ") {
            isLast = true
        } else if utf8[3] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw .protocolViolation("malformed reply line: \(Self.excerpt(line))")
        }
        if let pendingCode, pendingCode != code {
            throw .protocolViolation("reply code changed from \(pendingCode) to \(code) within a multi-line reply")
        }
        let text = utf8.count > 4 ? String(decoding: utf8[4...], as: UTF8.self) : ""
        pendingLines.append(text)
        guard !isLast else {
            let reply = SMTPReply(code: code, lines: pendingLines)
            pendingCode = nil
            pendingLines = []
            return reply
        }
        guard pendingLines.count < Self.maximumLines else {
            throw .protocolViolation("multi-line reply longer than \(Self.maximumLines) lines")
        }
        pendingCode = code
        return nil
    }

    private static func code(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        let zero = UInt8(ascii: "0")
        guard (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(a),
            (zero...UInt8(ascii: "9")).contains(b),
            (zero...UInt8(ascii: "9")).contains(c)
        else { return nil }
        return Int(a - zero) * 100 + Int(b - zero) * 10 + Int(c - zero)
    }

    private static func excerpt(_ line: String) -> String {
        let shown = line.prefix(80).map { $0.isASCII && !$0.isNewline ? String($0) : "?" }.joined()
        return "\"\(shown)\""
    }
}

/// Splits the byte stream from the server into lines ending in CRLF (a bare LF is accepted too).
struct SMTPLineFramer {
    /// The longest line accepted, in bytes. RFC 5321 allows 512; servers are given a generous margin.
    static let maximumLineLength = 8_192

    private var buffer: [UInt8] = []
    private var readIndex = 0

    /// True when bytes of an unfinished line are waiting.
    var hasBufferedBytes: Bool { readIndex < buffer.count }

    /// Adds bytes received from the server.
    mutating func append(_ bytes: some Sequence<UInt8>) {
        if readIndex > 0, readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line without its line ending, or nil when none is complete yet.
    mutating func nextLine() throws(SMTPError) -> String? {
        let newline = UInt8(ascii: "\n")
        guard let end = buffer[readIndex...].firstIndex(of: newline) else {
            if buffer.count - readIndex > Self.maximumLineLength {
                throw .protocolViolation("reply line longer than \(Self.maximumLineLength) bytes")
            }
            return nil
        }
        var lineEnd = end
        if lineEnd > readIndex, buffer[lineEnd - 1] == UInt8(ascii: "\r") {
            lineEnd -= 1
        }
        guard lineEnd - readIndex <= Self.maximumLineLength else {
            throw .protocolViolation("reply line longer than \(Self.maximumLineLength) bytes")
        }
        let line = String(decoding: buffer[readIndex..<lineEnd], as: UTF8.self)
        readIndex = end + 1
        if readIndex > 65_536 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        return line
    }
}
