import NIOCore

/// The SMTP dialogue over one connection (RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH).
struct SMTPSession: Sendable {
    let connection: SMTPConnection
    let relay: SMTPRelay
    /// Present unless the relay's security is `.none`.
    let tls: SMTPTLSSettings?
    let credentials: SMTPCredentials?

    /// Refuses relay settings that cannot work: no host, a port outside 1…65535, a HELO name that is
    /// not printable ASCII without spaces, a timeout that is not positive.
    static func validate(relay: SMTPRelay) throws(SMTPError) {
        let host = SMTPConnection.bareHost(relay.host)
        guard !host.isEmpty, host.utf8.allSatisfy({ (33...126).contains($0) }) else {
            throw .invalidMessage("relay host must be a non-empty name or address without spaces")
        }
        guard (1...65_535).contains(relay.port) else {
            throw .invalidMessage("relay port \(relay.port) is outside 1…65535")
        }
        guard MessageValidation.heloNameIsUsable(relay.heloName) else {
            throw .invalidMessage("HELO name must be printable ASCII without spaces")
        }
        guard relay.timeout > .zero else {
            throw .invalidMessage("relay timeout must be positive")
        }
    }

    /// Everything up to the relay's acceptance of the message.
    func deliver(from sender: String, to recipients: [String], data: [UInt8]) async throws(SMTPError) {
        let greeting = try await connection.readReply()
        guard greeting.code == 220 else {
            throw Self.unexpected(greeting, during: "greeting")
        }
        var capabilities = try await hello()

        if relay.security == .startTLS, let tls {
            guard capabilities.supports("STARTTLS") else {
                throw .tls("the relay does not offer STARTTLS")
            }
            let reply = try await connection.command("STARTTLS")
            guard reply.code == 220 else {
                if reply.isTransientNegative { throw .rejected(reply, during: "STARTTLS") }
                throw .tls("the relay refused STARTTLS: \(reply.code) \(reply.summary)")
            }
            try await connection.startTLS(tls)
            capabilities = try await hello()
        }

        if let credentials {
            try await authenticate(credentials, capabilities: capabilities)
        }

        var mailFrom = "MAIL FROM:<\(sender)>"
        if capabilities.supports("SIZE") {
            if let limit = capabilities.maximumMessageSize, data.count > limit {
                throw .invalidMessage("the message (\(data.count) bytes) exceeds the relay's limit of \(limit) bytes")
            }
            mailFrom += " SIZE=\(data.count)"
        }
        try await expectCompletion(mailFrom, during: "MAIL FROM")
        for recipient in recipients {
            try await expectCompletion("RCPT TO:<\(recipient)>", during: "RCPT TO <\(recipient)>")
        }
        let dataReply = try await connection.command("DATA")
        guard dataReply.code == 354 else {
            throw Self.unexpected(dataReply, during: "DATA")
        }
        let accepted = try await connection.data(data)
        guard accepted.isPositiveCompletion else {
            throw Self.unexpected(accepted, during: "end of data")
        }
    }

    /// The longest wait for the reply to `QUIT` (shorter than the relay's timeout when that is longer):
    /// the message is already accepted or abandoned, so a slow goodbye must not hold the caller.
    static let quitTimeout: Duration = .seconds(2)

    /// `QUIT`, ignoring any failure: by now the message has been accepted or abandoned.
    func quit() async {
        _ = try? await connection.command("QUIT", timeout: TimeAmount(Self.quitTimeout))
    }

    /// Whether credentials may be sent: always over TLS; in the clear only with security `.none` to a
    /// relay on loopback.
    static func mayAuthenticate(security: SMTPRelay.Security, peerIsLoopback: Bool) -> Bool {
        switch security {
        case .startTLS, .tls:
            return true
        case .none:
            return peerIsLoopback
        }
    }

    /// Says goodbye after `error` when the connection is still in step (the relay answered with a refusal).
    func abandon(after error: SMTPError) async {
        switch error.kind {
        case .rejected, .authentication:
            await quit()
        case .connect, .timeout, .tls, .protocolViolation, .invalidMessage:
            break
        }
    }

    /// `EHLO`, or `HELO` when the relay does not understand `EHLO`; the announced extensions.
    private func hello() async throws(SMTPError) -> SMTPCapabilities {
        let ehlo = try await connection.command("EHLO \(relay.heloName)")
        if ehlo.isPositiveCompletion {
            return SMTPCapabilities(ehloReply: ehlo)
        }
        guard ehlo.isPermanentNegative else {
            throw Self.unexpected(ehlo, during: "EHLO")
        }
        let helo = try await connection.command("HELO \(relay.heloName)")
        guard helo.isPositiveCompletion else {
            throw Self.unexpected(helo, during: "HELO")
        }
        return SMTPCapabilities()
    }

    /// `AUTH PLAIN`, or `AUTH LOGIN` when PLAIN is not offered. Credentials go only over TLS, or
    /// in the clear to a relay on loopback when security is `.none`.
    private func authenticate(_ credentials: SMTPCredentials, capabilities: SMTPCapabilities) async throws(SMTPError) {
        guard Self.mayAuthenticate(security: relay.security, peerIsLoopback: connection.peerIsLoopback) else {
            throw .authentication(
                "refusing to send credentials over an unencrypted connection to a relay that is not on loopback; "
                    + "use security starttls or tls")
        }
        let mechanisms = capabilities.authMechanisms
        guard !mechanisms.isEmpty else {
            throw .authentication("the relay does not offer AUTH")
        }
        if mechanisms.contains("PLAIN") {
            let reply = try await connection.command("AUTH PLAIN \(credentials.plainResponse)")
            try Self.checkAuthentication(reply)
        } else if mechanisms.contains("LOGIN") {
            let start = try await connection.command("AUTH LOGIN")
            guard start.code == 334 else { return try Self.checkAuthentication(start) }
            let user = try await connection.command(credentials.loginUsername)
            guard user.code == 334 else { return try Self.checkAuthentication(user) }
            let done = try await connection.command(credentials.loginPassword)
            try Self.checkAuthentication(done)
        } else {
            let offered = mechanisms.sorted().joined(separator: " ")
            throw .authentication("the relay offers no supported AUTH mechanism (offered: \(offered))")
        }
    }

    /// Passes 235; 4xx is a transient refusal, 5xx a refusal of the credentials.
    private static func checkAuthentication(_ reply: SMTPReply) throws(SMTPError) {
        if reply.isPositiveCompletion { return }
        if reply.isTransientNegative { throw .rejected(reply, during: "AUTH") }
        if reply.isPermanentNegative {
            throw .authentication("the relay refused the credentials: \(reply.code) \(reply.summary)")
        }
        throw .protocolViolation("unexpected reply to AUTH: \(reply.code) \(reply.summary)")
    }

    /// Sends `command` and requires a 2xx reply.
    private func expectCompletion(_ command: String, during step: String) async throws(SMTPError) {
        let reply = try await connection.command(command)
        guard reply.isPositiveCompletion else {
            throw Self.unexpected(reply, during: step)
        }
    }

    /// A refusal (4xx/5xx) becomes ``SMTPError/Kind/rejected(code:)``; any other unexpected code is a
    /// protocol violation.
    static func unexpected(_ reply: SMTPReply, during step: String) -> SMTPError {
        if reply.isTransientNegative || reply.isPermanentNegative {
            return .rejected(reply, during: step)
        }
        return .protocolViolation("unexpected reply to \(step): \(reply.code) \(reply.summary)")
    }
}
