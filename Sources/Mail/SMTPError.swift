/// Why a message could not be handed to the relay.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    /// The class of failure.
    public enum Kind: Sendable, Equatable {
        /// The relay could not be reached, or it closed the connection early.
        case connect
        /// The connection or a reply took longer than the relay's timeout.
        case timeout
        /// TLS could not be established (handshake, certificate, or STARTTLS not offered or refused).
        case tls
        /// The relay refused the credentials, offers no usable mechanism, or credentials would travel unencrypted.
        case authentication
        /// The relay answered a command with a negative reply carrying this code.
        case rejected(code: Int)
        /// The relay broke the SMTP protocol (malformed or unexpected replies).
        case protocolViolation
        /// The message or the relay settings cannot be sent as they are (bad address, header, size…).
        case invalidMessage
    }

    /// The class of failure.
    public let kind: Kind
    /// A human-readable explanation, including the relay's reply text where there was one. Never contains credentials.
    public let message: String

    /// Creates an error; useful to stand in for the client in callers' tests.
    /// - Parameters:
    ///   - kind: The class of failure.
    ///   - message: A human-readable explanation.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// True when retrying later may succeed: connection failures, timeouts, 4xx replies.
    /// 5xx, auth failures and invalid messages are permanent, and so are TLS failures and
    /// protocol violations, which need the relay or its settings fixed.
    public var isTransient: Bool {
        switch kind {
        case .connect, .timeout:
            return true
        case .rejected(let code):
            return (400..<500).contains(code)
        case .tls, .authentication, .protocolViolation, .invalidMessage:
            return false
        }
    }

    /// A one-line summary such as `SMTP rejected (550): 5.1.1 no such user`.
    public var description: String {
        let label: String
        switch kind {
        case .connect: label = "connect"
        case .timeout: label = "timeout"
        case .tls: label = "tls"
        case .authentication: label = "authentication"
        case .rejected(let code): label = "rejected (\(code))"
        case .protocolViolation: label = "protocol violation"
        case .invalidMessage: label = "invalid message"
        }
        return "SMTP \(label): \(message)"
    }
}

extension SMTPError {
    static func connect(_ message: String) -> SMTPError { SMTPError(kind: .connect, message: message) }
    static func timeout(_ message: String) -> SMTPError { SMTPError(kind: .timeout, message: message) }
    static func tls(_ message: String) -> SMTPError { SMTPError(kind: .tls, message: message) }
    static func authentication(_ message: String) -> SMTPError { SMTPError(kind: .authentication, message: message) }
    static func protocolViolation(_ message: String) -> SMTPError {
        SMTPError(kind: .protocolViolation, message: message)
    }
    static func invalidMessage(_ message: String) -> SMTPError { SMTPError(kind: .invalidMessage, message: message) }

    /// The error for a negative (or unexpected) reply to `command`.
    static func rejected(_ reply: SMTPReply, during command: String) -> SMTPError {
        SMTPError(kind: .rejected(code: reply.code), message: "\(command): \(reply.code) \(reply.summary)")
    }
}
