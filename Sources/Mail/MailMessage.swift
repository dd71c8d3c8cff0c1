import Foundation

/// A plain-text e-mail: envelope addresses, subject, body and optional extra headers.
public struct MailMessage: Sendable {
    /// The sender's bare address (`local@domain`), used for `MAIL FROM` and the From header.
    public var from: String
    /// The recipients' bare addresses, used for `RCPT TO` and the To header.
    public var to: [String]
    /// The subject; any Unicode text (encoded per RFC 2047 when not ASCII).
    public var subject: String
    /// The plain-text body; any line-break style, any length of line.
    public var textBody: String
    /// The Message-ID as `id@domain` (angle brackets optional); one is generated when nil.
    /// Setting it keeps the ID stable across the caller's retries.
    public var messageID: String?
    /// The Date header's value.
    public var date: Date
    /// Extra header fields, written after the standard ones in this order. Names must be valid field
    /// names and must not repeat a field the message writes itself (Date, From, To, Subject,
    /// Message-ID, MIME-Version, Content-Type, Content-Transfer-Encoding).
    public var headers: [(String, String)]

    /// Creates a message.
    /// - Parameters:
    ///   - from: The sender's bare address.
    ///   - to: The recipients' bare addresses.
    ///   - subject: The subject.
    ///   - textBody: The plain-text body.
    ///   - messageID: The Message-ID (`id@domain`), or nil to generate one.
    ///   - date: The Date header's value.
    ///   - headers: Extra header fields, in order.
    public init(
        from: String,
        to: [String],
        subject: String,
        textBody: String,
        messageID: String? = nil,
        date: Date = Date(),
        headers: [(String, String)] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.messageID = messageID
        self.date = date
        self.headers = headers
    }

    /// The RFC 5322 text of the message: CRLF line endings; Date, From, To, Subject, Message-ID,
    /// the extra headers, MIME-Version, `Content-Type: text/plain; charset=utf-8` and
    /// `Content-Transfer-Encoding: quoted-printable`; a non-ASCII subject (or extra header value) is
    /// RFC 2047 encoded; long header lines are folded.
    ///
    /// This method never fails: line breaks in header values become spaces, addresses lose line
    /// breaks, whitespace and angle brackets, extra headers with invalid or reserved names are left
    /// out, and an unusable Message-ID is replaced by a generated one. ``SMTPClient/send(_:)``
    /// refuses such messages instead. The body is quoted-printable, so every line is at most 76
    /// characters and 7-bit clean whatever the relay supports.
    public func rendered() -> String {
        MessageRenderer.render(self)
    }
}
