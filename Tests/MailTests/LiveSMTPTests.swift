import Foundation
import Testing

@testable import Mail

/// `send()` against a real server, Python's aiosmtpd, run only when `SCAICORE_TEST_PYTHON` names a
/// Python that has it.
@Suite(.serialized, .enabled(if: AiosmtpdServer.python != nil, "SCAICORE_TEST_PYTHON names no Python with aiosmtpd"))
struct LiveSMTPTests {
    static let subject = "Freigabe nötig: «Quartalsbericht» ✅"
    static let body = """
        Hello Alice,

        a checkpoint waits for you.
        .this line starts with a dot
        .
        A long line: \(String(repeating: "0123456789 ", count: 20))
        Umlauts: äöü ß — and an equals sign: a=b
        """

    static func message(to recipients: [String] = ["alice@example.com"]) -> MailMessage {
        MailMessage(
            from: "notifier@scaicore.example", to: recipients, subject: subject, textBody: body,
            messageID: "live-1@scaicore.example", headers: [("Auto-Submitted", "auto-generated")])
    }

    static func relay(
        _ server: AiosmtpdServer, security: SMTPRelay.Security, username: String? = nil, password: String? = nil,
        verify: Bool = false
    ) -> SMTPRelay {
        SMTPRelay(
            host: "127.0.0.1", port: server.port, security: security, username: username, password: password,
            heloName: "appliance.test", verifyCertificates: verify, timeout: .seconds(10))
    }

    /// Checks what the server received against ``message(to:)``.
    static func checkDelivered(_ received: AiosmtpdServer.Received?, recipients: [String] = ["alice@example.com"]) {
        guard let received else {
            Issue.record("the server received nothing")
            return
        }
        #expect(received.mailFrom == "notifier@scaicore.example")
        #expect(received.rcptTos == recipients)
        #expect(received.subject == subject)
        let expectedBody = body + "\n"
        if received.body != expectedBody {
            let got = Array(received.body.unicodeScalars)
            let want = Array(expectedBody.unicodeScalars)
            let index =
                zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            let context = { (scalars: [Unicode.Scalar]) in
                String(String.UnicodeScalarView(scalars[max(0, index - 20)..<min(scalars.count, index + 20)]))
                    .debugDescription
            }
            Issue.record("body differs at scalar \(index): got \(context(got)), want \(context(want))")
        }
        #expect(received.defects.isEmpty, "\(received.defects)")
        #expect(received.headerNames.contains("Auto-Submitted"))
        let raw = Data(base64Encoded: received.content).map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(raw.contains("Message-ID: <live-1@scaicore.example>\r\n"))
        #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func plainWithoutAuth() async throws {
        let server = try await AiosmtpdServer(mode: .plain)
        defer { server.stop() }
        let recipients = ["alice@example.com", "bob@example.org"]
        try await SMTPClient(relay: Self.relay(server, security: .none)).send(Self.message(to: recipients))
        let received = try server.received()
        #expect(received.count == 1)
        Self.checkDelivered(received.first, recipients: recipients)
        #expect(received.first?.tls == false)
    }

    @Test func plainAuthOnLoopback() async throws {
        let server = try await AiosmtpdServer(mode: .plain, username: "notifier", password: "s3cret pass")
        defer { server.stop() }
        let relay = Self.relay(server, security: .none, username: "notifier", password: "s3cret pass")
        try await SMTPClient(relay: relay).send(Self.message())
        let received = try server.received()
        Self.checkDelivered(received.first)
        #expect(received.first?.authenticated == true)
        #expect(received.first?.authMechanism == "PLAIN")
    }

    @Test(.enabled(if: AiosmtpdServer.openssl != nil, "openssl is needed for the test certificate"))
    func startTLSWithAuthPlain() async throws {
        let server = try await AiosmtpdServer(mode: .starttls, username: "notifier", password: "pässwörd")
        defer { server.stop() }
        let relay = Self.relay(server, security: .startTLS, username: "notifier", password: "pässwörd")
        try await SMTPClient(relay: relay).send(Self.message())
        let received = try server.received()
        Self.checkDelivered(received.first)
        #expect(received.first?.tls == true)
        #expect(received.first?.authenticated == true)
        #expect(received.first?.authMechanism == "PLAIN")
    }

    @Test(.enabled(if: AiosmtpdServer.openssl != nil, "openssl is needed for the test certificate"))
    func startTLSWithAuthLoginOnly() async throws {
        let server = try await AiosmtpdServer(
            mode: .starttls, username: "notifier", password: "secret", excludeMechanisms: ["PLAIN"])
        defer { server.stop() }
        let relay = Self.relay(server, security: .startTLS, username: "notifier", password: "secret")
        try await SMTPClient(relay: relay).send(Self.message())
        let received = try server.received()
        Self.checkDelivered(received.first)
        #expect(received.first?.tls == true)
        #expect(received.first?.authMechanism == "LOGIN")
    }

    @Test(.enabled(if: AiosmtpdServer.openssl != nil, "openssl is needed for the test certificate"))
    func implicitTLS() async throws {
        let server = try await AiosmtpdServer(mode: .tls, username: "notifier", password: "secret")
        defer { server.stop() }
        let relay = Self.relay(server, security: .tls, username: "notifier", password: "secret")
        try await SMTPClient(relay: relay).send(Self.message())
        let received = try server.received()
        Self.checkDelivered(received.first)
        #expect(received.first?.tls == true)
        #expect(received.first?.authenticated == true)
    }

    @Test(.enabled(if: AiosmtpdServer.openssl != nil, "openssl is needed for the test certificate"))
    func wrongPasswordIsAPermanentAuthenticationError() async throws {
        let server = try await AiosmtpdServer(mode: .starttls, username: "notifier", password: "secret")
        defer { server.stop() }
        let relay = Self.relay(server, security: .startTLS, username: "notifier", password: "wrong")
        let error = await SMTPDialogueTests.sendError(relay, Self.message())
        #expect(error?.kind == .authentication)
        #expect(error?.isTransient == false)
        #expect(try server.received().isEmpty)
    }

    @Test(.enabled(if: AiosmtpdServer.openssl != nil, "openssl is needed for the test certificate"))
    func selfSignedCertificateIsRefusedWhenVerifying() async throws {
        let server = try await AiosmtpdServer(mode: .starttls)
        defer { server.stop() }
        let error = await SMTPDialogueTests.sendError(
            Self.relay(server, security: .startTLS, verify: true), Self.message())
        #expect(error?.kind == .tls)
        #expect(try server.received().isEmpty)
    }

    @Test func plainRelayRefusesStartTLSPolicy() async throws {
        let server = try await AiosmtpdServer(mode: .plain)
        defer { server.stop() }
        let error = await SMTPDialogueTests.sendError(Self.relay(server, security: .startTLS), Self.message())
        #expect(error?.kind == .tls)
        #expect(try server.received().isEmpty)
    }
}
