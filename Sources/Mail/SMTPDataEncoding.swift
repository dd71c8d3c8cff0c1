/// Prepares message text for the `DATA` phase (RFC 5321 §4.5.2): CRLF line endings, a `.`
/// doubled at the start of any line that begins with one, and the terminating `.` line.
enum SMTPDataEncoding {
    /// The bytes to send after the 354 reply, ending with CRLF `.` CRLF.
    /// Bare CR or LF in `text` are turned into CRLF so no line can end early.
    static func encode(_ text: String) -> [UInt8] {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        var atLineStart = true
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == cr || byte == lf {
                output.append(cr)
                output.append(lf)
                if byte == cr, index + 1 < bytes.count, bytes[index + 1] == lf {
                    index += 1
                }
                atLineStart = true
            } else {
                if atLineStart, byte == dot {
                    output.append(dot)
                }
                output.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart {
            output.append(cr)
            output.append(lf)
        }
        output.append(contentsOf: [dot, cr, lf])
        return output
    }
}
