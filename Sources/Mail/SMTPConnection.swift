import NIOCore
import NIOPosix
import NIOSSL

/// What a TLS handshake with the relay needs.
struct SMTPTLSSettings: Sendable {
    var context: NIOSSLContext
    /// The name sent in SNI and checked against the certificate; nil for an IP literal
    /// (the certificate is then checked against the peer's IP address).
    var serverHostname: String?

    /// Settings for `relay`; certificate and host-name checks follow `relay.verifyCertificates`.
    init(relay: SMTPRelay) throws(SMTPError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !relay.verifyCertificates {
            configuration.certificateVerification = .none
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tls("cannot set up TLS: \(error)")
        }
        let host = SMTPConnection.bareHost(relay.host)
        serverHostname = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }
}

/// One TCP (or TLS) connection to the relay, used from async code: each call hops to the channel's
/// event loop, where ``SMTPReplyHandler`` does the work.
struct SMTPConnection: Sendable {
    let channel: any Channel
    /// The handler that reads replies; it outlives the pipeline, so a failure stays known after the close.
    let handler: NIOLoopBound<SMTPReplyHandler>
    /// The longest wait for each reply.
    let timeout: TimeAmount

    /// Connects to the relay; with `implicitTLS` the TLS handshake starts at once.
    static func open(
        relay: SMTPRelay,
        group: any EventLoopGroup,
        implicitTLS: SMTPTLSSettings?
    ) async throws(SMTPError) -> SMTPConnection {
        let host = bareHost(relay.host)
        let endpoint = "connecting to \(host):\(relay.port)"
        let eventLoop = group.next()
        guard let bootstrap = ClientBootstrap(validatingGroup: eventLoop) else {
            throw .connect("\(endpoint): the event loop group cannot make NIOPosix connections")
        }
        let timeout = TimeAmount(relay.timeout)
        let handler: NIOLoopBound<SMTPReplyHandler>
        let channel: any Channel
        do {
            handler = try await eventLoop.submit {
                NIOLoopBound(SMTPReplyHandler(eventLoop: eventLoop), eventLoop: eventLoop)
            }.get()
            channel =
                try await bootstrap
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let implicitTLS {
                            let tls = try NIOSSLClientHandler(
                                context: implicitTLS.context, serverHostname: implicitTLS.serverHostname)
                            try channel.pipeline.syncOperations.addHandler(tls)
                        }
                        try channel.pipeline.syncOperations.addHandler(handler.value)
                    }
                }
                .connect(host: host, port: relay.port)
                .get()
        } catch {
            throw SMTPErrorMapping.map(error, while: endpoint)
        }
        return SMTPConnection(channel: channel, handler: handler, timeout: timeout)
    }

    /// `host` without the brackets of an IPv6 literal such as `[::1]`.
    static func bareHost(_ host: String) -> String {
        if host.hasPrefix("["), host.hasSuffix("]"), host.count >= 2 {
            return String(host.dropFirst().dropLast())
        }
        return host
    }

    /// Waits for the next reply without sending anything (the greeting).
    func readReply() async throws(SMTPError) -> SMTPReply {
        try await exchange(nil)
    }

    /// Sends one command line (CRLF is added) and waits for its reply, at most `timeout` when given
    /// and shorter than the relay's.
    func command(_ line: String, timeout: TimeAmount? = nil) async throws(SMTPError) -> SMTPReply {
        guard !HeaderField.containsLineBreak(line) else {
            throw .invalidMessage("a command would contain a line break")
        }
        return try await exchange(channel.allocator.buffer(string: line + "\r\n"), timeout: timeout)
    }

    /// Sends the message data (already dot-stuffed and terminated) and waits for the final reply.
    func data(_ bytes: [UInt8]) async throws(SMTPError) -> SMTPReply {
        try await exchange(channel.allocator.buffer(bytes: bytes))
    }

    /// Writes `payload` and waits for the reply. Cancelling the task closes the connection.
    private func exchange(_ payload: ByteBuffer?, timeout: TimeAmount? = nil) async throws(SMTPError) -> SMTPReply {
        let handler = self.handler
        let wait = min(timeout ?? self.timeout, self.timeout)
        let channel = self.channel
        let reply = channel.eventLoop.flatSubmit {
            handler.value.exchange(payload, timeout: wait)
        }
        do {
            return try await withTaskCancellationHandler {
                try await reply.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            if Task.isCancelled {
                throw .connect("the send was cancelled")
            }
            throw SMTPErrorMapping.map(error)
        }
    }

    /// Puts TLS under the session after the relay's 220 reply to `STARTTLS`. Refuses when the relay
    /// sent anything after that reply: such bytes came in the clear and must not be trusted (RFC 3207 §4.2).
    func startTLS(_ settings: SMTPTLSSettings) async throws(SMTPError) {
        let channel = self.channel
        let handler = self.handler
        let upgraded = channel.eventLoop.submit {
            let handler = handler.value
            if let failure = handler.terminalFailure {
                throw failure
            }
            guard handler.isQuiescent else {
                throw SMTPError.protocolViolation("the relay sent data after its reply to STARTTLS")
            }
            let tls = try NIOSSLClientHandler(context: settings.context, serverHostname: settings.serverHostname)
            try channel.pipeline.syncOperations.addHandler(tls, position: .first)
        }
        do {
            try await upgraded.get()
        } catch {
            throw SMTPErrorMapping.map(error, while: "starting TLS")
        }
    }

    /// Whether the peer is on the loopback network (127.0.0.0/8 or ::1).
    var peerIsLoopback: Bool {
        guard let ip = channel.remoteAddress?.ipAddress else { return false }
        return Self.isLoopback(ipAddress: ip)
    }

    /// Whether the textual IP address is a loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z.
    static func isLoopback(ipAddress: String) -> Bool {
        let ip = ipAddress.lowercased()
        guard let address = try? SocketAddress(ipAddress: ip, port: 0) else { return false }
        switch address {
        case .v4:
            return ip.hasPrefix("127.")
        case .v6:
            // Any spelling of ::1 (such as 0:0:0:0:0:0:0:1) compares equal once parsed.
            return ip.hasPrefix("::ffff:127.") || (try? SocketAddress(ipAddress: "::1", port: 0)) == address
        case .unixDomainSocket:
            return false
        }
    }

    /// Closes the connection; never fails.
    func close() async {
        try? await channel.close().get()
    }
}
