import Testing

@testable import Mail

@Suite struct ErrorClassificationTests {
    @Test func transientKinds() {
        #expect(SMTPError(kind: .connect, message: "").isTransient)
        #expect(SMTPError(kind: .timeout, message: "").isTransient)
        #expect(SMTPError(kind: .rejected(code: 421), message: "").isTransient)
        #expect(SMTPError(kind: .rejected(code: 450), message: "").isTransient)
        #expect(SMTPError(kind: .rejected(code: 454), message: "").isTransient)
    }

    @Test func permanentKinds() {
        #expect(!SMTPError(kind: .rejected(code: 500), message: "").isTransient)
        #expect(!SMTPError(kind: .rejected(code: 550), message: "").isTransient)
        #expect(!SMTPError(kind: .rejected(code: 554), message: "").isTransient)
        #expect(!SMTPError(kind: .authentication, message: "").isTransient)
        #expect(!SMTPError(kind: .invalidMessage, message: "").isTransient)
        #expect(!SMTPError(kind: .tls, message: "").isTransient)
        #expect(!SMTPError(kind: .protocolViolation, message: "").isTransient)
    }

    @Test func repliesBecomeRejectionsOrViolations() {
        let temporary = SMTPSession.unexpected(SMTPReply(code: 451, lines: ["4.3.0 try later"]), during: "MAIL FROM")
        #expect(temporary.kind == .rejected(code: 451))
        #expect(temporary.isTransient)
        #expect(temporary.message.contains("4.3.0 try later"))
        let permanent = SMTPSession.unexpected(SMTPReply(code: 550, lines: ["no such user"]), during: "RCPT TO")
        #expect(permanent.kind == .rejected(code: 550))
        #expect(!permanent.isTransient)
        let odd = SMTPSession.unexpected(SMTPReply(code: 250, lines: ["ok?"]), during: "DATA")
        #expect(odd.kind == .protocolViolation)
    }

    @Test func descriptionNamesKindAndCode() {
        let error = SMTPError(kind: .rejected(code: 550), message: "RCPT TO: 550 no such user")
        #expect(error.description == "SMTP rejected (550): RCPT TO: 550 no such user")
        #expect(SMTPError(kind: .timeout, message: "slow").description == "SMTP timeout: slow")
    }

    @Test func credentialsOnlyOverTLSOrToLoopback() {
        #expect(SMTPSession.mayAuthenticate(security: .startTLS, peerIsLoopback: false))
        #expect(SMTPSession.mayAuthenticate(security: .tls, peerIsLoopback: false))
        #expect(SMTPSession.mayAuthenticate(security: .none, peerIsLoopback: true))
        #expect(!SMTPSession.mayAuthenticate(security: .none, peerIsLoopback: false))
    }

    @Test func loopbackAddresses() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"] {
            #expect(SMTPConnection.isLoopback(ipAddress: ip), "\(ip)")
        }
        for ip in [
            "10.0.0.1", "192.168.1.1", "128.0.0.1", "::2", "fe80::1", "::ffff:10.0.0.1", "not-an-ip", "127.example.com",
        ] {
            #expect(!SMTPConnection.isLoopback(ipAddress: ip), "\(ip)")
        }
    }
}
