import Foundation

/// Turns a ``MailMessage`` into RFC 5322 text (see ``MailMessage/rendered()``).
enum MessageRenderer {
    static func render(_ message: MailMessage) -> String {
        var text = ""
        text += "Date: " + RFC5322Date.format(message.date) + "\r\n"
        text += HeaderField.folded(name: "From", value: MailAddress.sanitized(message.from))
        let recipients = message.to.map(MailAddress.sanitized).filter { !$0.isEmpty }
        text += HeaderField.folded(name: "To", value: recipients.joined(separator: ", "))
        text += HeaderField.unstructured(name: "Subject", value: message.subject)
        text += "Message-ID: <" + messageID(for: message) + ">\r\n"
        for (name, value) in message.headers
        where HeaderField.isValidName(name) && !HeaderField.reservedNames.contains(name.lowercased()) {
            text += HeaderField.unstructured(name: name, value: value)
        }
        text += "MIME-Version: 1.0\r\n"
        text += "Content-Type: text/plain; charset=utf-8\r\n"
        text += "Content-Transfer-Encoding: quoted-printable\r\n"
        text += "\r\n"
        text += QuotedPrintable.encode(message.textBody)
        return text
    }

    /// The message's own ID without angle brackets when usable, else a generated `UUID@domain`.
    static func messageID(for message: MailMessage) -> String {
        if let given = message.messageID, let id = normalizedMessageID(given) {
            return id
        }
        return generatedMessageID(from: message.from)
    }

    /// `id` without surrounding angle brackets if it has the form `left@right` in printable ASCII
    /// without whitespace or brackets; otherwise nil.
    static func normalizedMessageID(_ id: String) -> String? {
        var id = Substring(id)
        if id.hasPrefix("<"), id.hasSuffix(">"), id.count >= 2 {
            id = id.dropFirst().dropLast()
        }
        guard !id.isEmpty, id.utf8.count <= 250,
            id.utf8.allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }),
            let at = id.firstIndex(of: "@"), at != id.startIndex, id.index(after: at) != id.endIndex
        else { return nil }
        return String(id)
    }

    /// A fresh `UUID@domain`, the domain taken from the sender when it is usable.
    static func generatedMessageID(from sender: String) -> String {
        let candidate = MailAddress.domain(of: MailAddress.sanitized(sender)) ?? ""
        let usable =
            !candidate.isEmpty && candidate.utf8.count <= 200
            && candidate.utf8.allSatisfy { byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
        return UUID().uuidString.lowercased() + "@" + (usable ? candidate : "localhost")
    }
}
