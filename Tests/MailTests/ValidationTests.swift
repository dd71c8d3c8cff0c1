import Foundation
import Testing

@testable import Mail

/// Messages and relay settings `send()` refuses before it connects.
@Suite struct ValidationTests {
    static let good = MailMessage(from: "a@example.com", to: ["b@example.com"], subject: "s", textBody: "t")

    static func invalid(_ message: MailMessage) -> SMTPError? {
        do throws(SMTPError) {
            try MessageValidation.validate(message)
            return nil
        } catch {
            return error
        }
    }

    @Test func goodMessagePasses() {
        #expect(Self.invalid(Self.good) == nil)
    }

    @Test(arguments: [
        "b@example.com\r\nRCPT TO:<evil@example.com>", "b@example.com\n", "<b@example.com>", "b>@example.com",
        "no-at-sign", "@example.com", "b@", "", "b c@example.com", "jörg@example.com",
    ])
    func badRecipientIsRefused(_ address: String) {
        var message = Self.good
        message.to = [address]
        #expect(Self.invalid(message)?.kind == .invalidMessage)
    }

    @Test func badSenderIsRefused() {
        var message = Self.good
        message.from = "a@example.com\r\nDATA"
        #expect(Self.invalid(message)?.kind == .invalidMessage)
    }

    @Test func noRecipientsIsRefused() {
        var message = Self.good
        message.to = []
        #expect(Self.invalid(message)?.kind == .invalidMessage)
    }

    @Test func lineBreakInSubjectIsRefused() {
        var message = Self.good
        message.subject = "hi\r\nBcc: x@example.com"
        #expect(Self.invalid(message)?.kind == .invalidMessage)
        message.subject = "hi\nthere"
        #expect(Self.invalid(message)?.kind == .invalidMessage)
    }

    @Test func badExtraHeadersAreRefused() {
        for header in [("X-A", "1\r\nBcc: x"), ("X A", "1"), ("X:A", "1"), ("", "1"), ("Content-Type", "text/html")] {
            var message = Self.good
            message.headers = [header]
            #expect(Self.invalid(message)?.kind == .invalidMessage, "\(header)")
        }
        var message = Self.good
        message.headers = [("Auto-Submitted", "auto-generated"), ("X-Ünicode-Value", "ok")]
        #expect(Self.invalid(message)?.kind == .invalidMessage)  // non-ASCII header name
        message.headers = [("Auto-Submitted", "auto-generated"), ("X-Value", "Jörg")]
        #expect(Self.invalid(message) == nil)
    }

    @Test func badMessageIDIsRefused() {
        for id in ["no-at", "a b@c", "<a@b>\r\nX: y", "a@"] {
            var message = Self.good
            message.messageID = id
            #expect(Self.invalid(message)?.kind == .invalidMessage, "\(id)")
        }
        var message = Self.good
        message.messageID = "<ok@example.com>"
        #expect(Self.invalid(message) == nil)
    }

    @Test func sendRefusesBeforeConnecting() async throws {
        // Nothing listens on the port: an invalid message must fail as invalid, not as a connect error.
        let port = try ScriptedSMTPServer.closedPort()
        var message = Self.good
        message.to = ["x@example.com\r\nRCPT TO:<y@example.com>"]
        let error = await SMTPDialogueTests.sendError(SMTPDialogueTests.relay(port: port), message)
        #expect(error?.kind == .invalidMessage)
        #expect(error?.isTransient == false)
    }

    @Test func badRelaySettingsAreRefused() async throws {
        let port = try ScriptedSMTPServer.closedPort()
        var relays: [SMTPRelay] = []
        var relay = SMTPDialogueTests.relay(port: port)
        relay.heloName = "bad name\r\nMAIL FROM:<x@y>"
        relays.append(relay)
        relay = SMTPDialogueTests.relay(port: 0)
        relays.append(relay)
        relay = SMTPDialogueTests.relay(port: port)
        relay.host = ""
        relays.append(relay)
        relay = SMTPDialogueTests.relay(port: port, timeout: .zero)
        relays.append(relay)
        for relay in relays {
            #expect(await SMTPDialogueTests.sendError(relay)?.kind == .invalidMessage)
        }
    }

    @Test func relayDefaults() {
        let relay = SMTPRelay(host: "smtp.example.com")
        #expect(relay.port == 587)
        #expect(relay.security == .startTLS)
        #expect(relay.heloName == "localhost")
        #expect(relay.verifyCertificates)
        #expect(relay.timeout == .seconds(30))
        #expect(relay.username == nil && relay.password == nil)
        #expect(SMTPRelay.Security(rawValue: "starttls") == .startTLS)
        #expect(SMTPRelay.Security(rawValue: "tls") == .tls)
        #expect(SMTPRelay.Security(rawValue: "none") == SMTPRelay.Security.none)
    }
}
