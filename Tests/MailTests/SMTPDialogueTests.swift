import Foundation
import Testing

@testable import Mail

/// `send()` against a scripted in-process server: the exact commands sent and how replies are classified.
@Suite struct SMTPDialogueTests {
    static func relay(
        port: Int, security: SMTPRelay.Security = .none, username: String? = nil, password: String? = nil,
        timeout: Duration = .seconds(5)
    ) -> SMTPRelay {
        SMTPRelay(
            host: "127.0.0.1", port: port, security: security, username: username, password: password,
            heloName: "appliance.test", timeout: timeout)
    }

    static let message = MailMessage(
        from: "notifier@scaicore.example", to: ["alice@example.com"], subject: "Checkpoint",
        textBody: "Line one\n.leading dot\n", messageID: "m1@scaicore.example",
        date: Date(timeIntervalSince1970: 1_700_000_000))

    /// The error `send` throws, or nil when it succeeds.
    static func sendError(_ relay: SMTPRelay, _ message: MailMessage = message) async -> SMTPError? {
        do throws(SMTPError) {
            try await SMTPClient(relay: relay).send(message)
            return nil
        } catch {
            return error
        }
    }

    @Test func fullDialogue() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["PIPELINING", "SIZE 100000", "8BITMIME"])
            _ = try peer.acceptMessage()
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error == nil)
        let transcript = await server.transcript()
        #expect(server.scriptError == nil)
        #expect(transcript.first == "EHLO appliance.test")
        #expect(transcript.contains { $0.hasPrefix("MAIL FROM:<notifier@scaicore.example> SIZE=") })
        #expect(transcript.contains("RCPT TO:<alice@example.com>"))
        #expect(transcript.contains("DATA"))
        #expect(transcript.contains("Line one"))
        #expect(transcript.contains("..leading dot"))
        #expect(transcript.contains("Subject: Checkpoint"))
        #expect(transcript.last == "QUIT")
    }

    @Test func multiLineGreetingAndSeveralRecipients() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.reply("220-test.local ESMTP")
            try peer.reply("220-second greeting line")
            try peer.reply("220 ready")
            try peer.expect("EHLO")
            try peer.reply("250 test.local")
            _ = try peer.acceptMessage(recipients: 2)
        }
        var message = Self.message
        message.to = ["alice@example.com", "bob@example.com"]
        #expect(await Self.sendError(Self.relay(port: server.port), message) == nil)
        let transcript = await server.transcript()
        #expect(
            transcript.filter { $0.hasPrefix("RCPT TO:") } == [
                "RCPT TO:<alice@example.com>", "RCPT TO:<bob@example.com>",
            ])
        #expect(!transcript.contains { $0.contains("SIZE=") })
    }

    @Test func heloFallbackWhenEHLOIsUnknown() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.reply("220 old.server")
            try peer.expect("EHLO appliance.test")
            try peer.reply("502 command not implemented")
            try peer.expect("HELO appliance.test")
            try peer.reply("250 old.server")
            _ = try peer.acceptMessage()
        }
        #expect(await Self.sendError(Self.relay(port: server.port)) == nil)
        #expect(await server.transcript().contains("HELO appliance.test"))
    }

    @Test func authPlainOnLoopbackWithoutTLS() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["AUTH LOGIN PLAIN"])
            try peer.expect("AUTH PLAIN ")
            try peer.reply("235 2.7.0 authenticated")
            _ = try peer.acceptMessage()
        }
        #expect(await Self.sendError(Self.relay(port: server.port, username: "user", password: "pässword")) == nil)
        let transcript = await server.transcript()
        let expected = Data([0] + Array("user".utf8) + [0] + Array("pässword".utf8)).base64EncodedString()
        #expect(transcript.contains("AUTH PLAIN \(expected)"))
    }

    @Test func authLoginWhenOnlyLoginIsOffered() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["AUTH=LOGIN"])
            try peer.expect("AUTH LOGIN")
            try peer.reply("334 VXNlcm5hbWU6")
            let user = try peer.readLine()
            try peer.reply("334 UGFzc3dvcmQ6")
            let password = try peer.readLine()
            guard user == Data("user".utf8).base64EncodedString(), password == Data("secret".utf8).base64EncodedString()
            else { throw ScriptedSMTPServer.Failure(description: "bad credentials \(user) \(password)") }
            try peer.reply("235 ok")
            _ = try peer.acceptMessage()
        }
        #expect(await Self.sendError(Self.relay(port: server.port, username: "user", password: "secret")) == nil)
        _ = await server.transcript()
        #expect(server.scriptError == nil)
    }

    @Test func refusedCredentialsArePermanent() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["AUTH PLAIN"])
            try peer.expect("AUTH PLAIN")
            try peer.reply("535 5.7.8 authentication credentials invalid")
            try peer.expect("QUIT")
            try peer.reply("221 bye")
        }
        let error = await Self.sendError(Self.relay(port: server.port, username: "u", password: "wrong"))
        #expect(error?.kind == .authentication)
        #expect(error?.isTransient == false)
        #expect(error?.message.contains("wrong") == false)
        #expect(await server.transcript().last == "QUIT")
    }

    @Test func temporaryAuthFailureIsTransient() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["AUTH PLAIN"])
            try peer.expect("AUTH PLAIN")
            try peer.reply("454 4.7.0 temporary authentication failure")
            try peer.expect("QUIT")
            try peer.reply("221 bye")
        }
        let error = await Self.sendError(Self.relay(port: server.port, username: "u", password: "p"))
        #expect(error?.kind == .rejected(code: 454))
        #expect(error?.isTransient == true)
    }

    @Test func noUsableMechanism() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["AUTH CRAM-MD5"])
            peer.waitForClose()
        }
        let error = await Self.sendError(Self.relay(port: server.port, username: "u", password: "p"))
        #expect(error?.kind == .authentication)
        #expect(error?.message.contains("CRAM-MD5") == true)
    }

    @Test func incompleteCredentialsAreRefusedBeforeConnecting() async throws {
        let port = try ScriptedSMTPServer.closedPort()
        let error = await Self.sendError(Self.relay(port: port, username: "u", password: nil))
        #expect(error?.kind == .authentication)
    }

    @Test func rejectedRecipientStopsBeforeData() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO()
            try peer.expect("MAIL FROM:")
            try peer.reply("250 ok")
            try peer.expect("RCPT TO:<alice@example.com>")
            try peer.reply("550 5.1.1 <alice@example.com>: user unknown")
            try peer.expect("QUIT")
            try peer.reply("221 bye")
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error?.kind == .rejected(code: 550))
        #expect(error?.isTransient == false)
        #expect(error?.message.contains("user unknown") == true)
        #expect(await !server.transcript().contains("DATA"))
    }

    @Test func greylistingIsTransient() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO()
            try peer.expect("MAIL FROM:")
            try peer.reply("250 ok")
            try peer.expect("RCPT TO:")
            try peer.reply("451 4.7.1 greylisted, try again later")
            try peer.expect("QUIT")
            try peer.reply("221 bye")
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error?.kind == .rejected(code: 451))
        #expect(error?.isTransient == true)
    }

    @Test func serviceNotAvailableGreetingIsTransient() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.reply("421 4.3.2 too busy, try later")
            peer.waitForClose()
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error?.kind == .rejected(code: 421))
        #expect(error?.isTransient == true)
    }

    @Test func messageRejectedAfterDataIsPermanent() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO()
            try peer.expect("MAIL FROM:")
            try peer.reply("250 ok")
            try peer.expect("RCPT TO:")
            try peer.reply("250 ok")
            try peer.expect("DATA")
            try peer.reply("354 go")
            _ = try peer.readData()
            try peer.reply("554 5.7.1 message refused as spam")
            try peer.expect("QUIT")
            try peer.reply("221 bye")
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error?.kind == .rejected(code: 554))
        #expect(error?.isTransient == false)
    }

    @Test func silentServerTimesOut() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.reply("220 ready")
            try peer.expect("EHLO")
            peer.waitForClose()
        }
        let start = ContinuousClock.now
        let error = await Self.sendError(Self.relay(port: server.port, timeout: .milliseconds(300)))
        let elapsed = ContinuousClock.now - start
        #expect(error?.kind == .timeout)
        #expect(error?.isTransient == true)
        #expect(elapsed < .seconds(5))
        _ = await server.transcript()
    }

    @Test func unansweredQuitDoesNotHoldTheCaller() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO()
            try peer.expect("MAIL FROM:")
            try peer.reply("250 ok")
            try peer.expect("RCPT TO:")
            try peer.reply("250 ok")
            try peer.expect("DATA")
            try peer.reply("354 go")
            _ = try peer.readData()
            try peer.reply("250 queued")
            try peer.expect("QUIT")
            peer.waitForClose()
        }
        let start = ContinuousClock.now
        let error = await Self.sendError(Self.relay(port: server.port, timeout: .seconds(30)))
        #expect(error == nil)
        #expect(ContinuousClock.now - start < SMTPSession.quitTimeout + .seconds(3))
    }

    @Test func cancellingTheTaskClosesTheConnection() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.reply("220 ready")
            try peer.expect("EHLO")
            peer.waitForClose()
        }
        let relay = Self.relay(port: server.port, timeout: .seconds(30))
        let task = Task { await Self.sendError(relay) }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        task.cancel()
        let error = await task.value
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(error?.kind == .connect)
        _ = await server.transcript()
    }

    @Test func connectionClosedMidSessionIsTransient() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO()
            try peer.expect("MAIL FROM:")
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error?.kind == .connect)
        #expect(error?.isTransient == true)
    }

    @Test func connectionRefusedIsTransient() async throws {
        let port = try ScriptedSMTPServer.closedPort()
        let error = await Self.sendError(Self.relay(port: port))
        #expect(error?.kind == .connect)
        #expect(error?.isTransient == true)
    }

    @Test func startTLSRequiredButNotOffered() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["AUTH PLAIN"])
            peer.waitForClose()
        }
        let error = await Self.sendError(
            Self.relay(port: server.port, security: .startTLS, username: "u", password: "p"))
        #expect(error?.kind == .tls)
        #expect(error?.isTransient == false)
        #expect(await !server.transcript().contains { $0.hasPrefix("AUTH") })
    }

    @Test func dataInjectedAfterStartTLSReplyIsRefused() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["STARTTLS"])
            try peer.expect("STARTTLS")
            // A man in the middle appends a plaintext reply meant to be read after the handshake.
            try peer.sendRaw("220 go ahead\r\n250 fake EHLO reply\r\n")
            peer.waitForClose()
        }
        let error = await Self.sendError(Self.relay(port: server.port, security: .startTLS))
        #expect(error?.kind == .protocolViolation)
    }

    @Test func implicitTLSAgainstPlaintextServerFails() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.reply("220 plaintext server")
            peer.waitForClose()
        }
        let error = await Self.sendError(Self.relay(port: server.port, security: .tls))
        #expect(error?.kind == .tls)
        _ = await server.transcript()
    }

    @Test func malformedReplyIsAProtocolViolation() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.sendRaw("hello there\r\n")
            peer.waitForClose()
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error?.kind == .protocolViolation)
        #expect(error?.isTransient == false)
    }

    @Test func oversizeMessageIsRefusedBeforeData() async throws {
        let server = try ScriptedSMTPServer { peer in
            try peer.greetAndEHLO(["SIZE 100"])
            peer.waitForClose()
        }
        let error = await Self.sendError(Self.relay(port: server.port))
        #expect(error?.kind == .invalidMessage)
        #expect(await !server.transcript().contains { $0.hasPrefix("MAIL") })
    }
}
