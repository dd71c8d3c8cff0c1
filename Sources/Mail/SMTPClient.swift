import NIOCore
import NIOPosix

/// Sends ``MailMessage``s through one ``SMTPRelay``, opening a fresh connection for each message.
public struct SMTPClient: Sendable {
    /// The relay every message goes through.
    let relay: SMTPRelay
    private let eventLoopGroup: any EventLoopGroup

    /// Creates a client for `relay`.
    /// - Parameters:
    ///   - relay: Where and how to reach the SMTP relay.
    ///   - eventLoopGroup: The NIOPosix event loops the connections run on.
    public init(relay: SMTPRelay, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.relay = relay
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends `message` over a new connection to the relay, then closes it.
    ///
    /// The dialogue: greeting, `EHLO` (or `HELO` when the relay does not know `EHLO`); with
    /// `.startTLS`, `STARTTLS` and a second `EHLO` under TLS (a relay that does not offer STARTTLS
    /// is refused, never used in the clear); with credentials, `AUTH PLAIN`, or `AUTH LOGIN` when only
    /// LOGIN is offered; `MAIL FROM`, one `RCPT TO` per recipient, `DATA` with dot-stuffing, `QUIT`.
    ///
    /// Credentials are sent only over TLS, or in the clear when security is `.none` and the relay's
    /// address is on loopback. The message and the relay settings are checked before connecting.
    /// If any recipient is refused nothing is sent, so a retry never duplicates the message for the
    /// others. Each reply is awaited at most ``SMTPRelay/timeout``. Once the relay has accepted the
    /// message, a failing `QUIT` is ignored. Cancelling the task closes the connection.
    /// - Parameter message: The message to send.
    /// - Throws: ``SMTPError``; its ``SMTPError/isTransient`` says whether a later retry may succeed.
    public func send(_ message: MailMessage) async throws(SMTPError) {
        try SMTPSession.validate(relay: relay)
        try MessageValidation.validate(message)
        let credentials = try SMTPCredentials(relay: relay)
        let data = SMTPDataEncoding.encode(message.rendered())
        let tls = relay.security == .none ? nil : try SMTPTLSSettings(relay: relay)

        let connection = try await SMTPConnection.open(
            relay: relay, group: eventLoopGroup, implicitTLS: relay.security == .tls ? tls : nil)
        let session = SMTPSession(connection: connection, relay: relay, tls: tls, credentials: credentials)
        do throws(SMTPError) {
            try await session.deliver(from: message.from, to: message.to, data: data)
        } catch {
            await session.abandon(after: error)
            await connection.close()
            throw error
        }
        await session.quit()
        await connection.close()
    }
}
