/// The checks ``SMTPClient/send(_:)`` makes before connecting: where ``MailMessage/rendered()``
/// would quietly clean a value, sending refuses it.
enum MessageValidation {
    /// Throws ``SMTPError/Kind/invalidMessage`` for the first problem found.
    static func validate(_ message: MailMessage) throws(SMTPError) {
        if let problem = MailAddress.problem(with: message.from) {
            throw .invalidMessage("sender: \(problem)")
        }
        guard !message.to.isEmpty else {
            throw .invalidMessage("no recipients")
        }
        for (index, recipient) in message.to.enumerated() {
            if let problem = MailAddress.problem(with: recipient) {
                throw .invalidMessage("recipient \(index + 1): \(problem)")
            }
        }
        if HeaderField.containsLineBreak(message.subject) {
            throw .invalidMessage("subject contains a line break")
        }
        if let id = message.messageID, MessageRenderer.normalizedMessageID(id) == nil {
            throw .invalidMessage("Message-ID must look like id@domain, in printable ASCII without spaces")
        }
        for (name, value) in message.headers {
            guard HeaderField.isValidName(name) else {
                throw .invalidMessage("invalid header name \"\(HeaderField.sanitizedValue(String(name.prefix(80))))\"")
            }
            guard !HeaderField.reservedNames.contains(name.lowercased()) else {
                throw .invalidMessage("header \(name) is written by the message itself")
            }
            if HeaderField.containsLineBreak(value) {
                throw .invalidMessage("header \(name) contains a line break")
            }
        }
    }

    /// Whether the relay's `EHLO`/`HELO` name can be sent: a non-empty run of printable ASCII.
    static func heloNameIsUsable(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && name.utf8.allSatisfy { (33...126).contains($0) }
    }
}
