import Testing

@testable import Mail

@Suite struct ReplyParsingTests {
    /// Frames `bytes` and parses every complete reply.
    private func replies(_ text: String) throws(SMTPError) -> [SMTPReply] {
        var framer = SMTPLineFramer()
        var parser = SMTPReplyParser()
        var result: [SMTPReply] = []
        framer.append(Array(text.utf8))
        while let line = try framer.nextLine() {
            if let reply = try parser.consume(line: line) { result.append(reply) }
        }
        return result
    }

    @Test func singleLineReply() throws {
        #expect(try replies("220 mail.example ESMTP\r\n") == [SMTPReply(code: 220, lines: ["mail.example ESMTP"])])
    }

    @Test func multiLineReplyIsOneReply() throws {
        let text = "250-mail.example greets you\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"
        let parsed = try replies(text)
        #expect(parsed.count == 1)
        #expect(parsed.first?.code == 250)
        #expect(parsed.first?.lines == ["mail.example greets you", "SIZE 10240000", "AUTH PLAIN LOGIN", "STARTTLS"])
    }

    @Test func bareCodeAndBareLineFeed() throws {
        #expect(
            try replies("250\n354 go\n") == [SMTPReply(code: 250, lines: [""]), SMTPReply(code: 354, lines: ["go"])])
    }

    @Test func replySplitAcrossReads() throws {
        var framer = SMTPLineFramer()
        var parser = SMTPReplyParser()
        var got: [SMTPReply] = []
        for chunk in ["25", "0-first\r", "\n250", " last\r\n"] {
            framer.append(Array(chunk.utf8))
            while let line = try framer.nextLine() {
                if let reply = try parser.consume(line: line) { got.append(reply) }
            }
        }
        #expect(got == [SMTPReply(code: 250, lines: ["first", "last"])])
        #expect(parser.isIdle && !framer.hasBufferedBytes)
    }

    @Test func partialMultiLineReplyIsNotIdle() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.consume(line: "250-first") == nil)
        #expect(!parser.isIdle)
    }

    @Test func codeChangeInsideMultiLineReplyIsAViolation() {
        do {
            _ = try replies("250-first\r\n251 second\r\n")
            Issue.record("no error")
        } catch {
            #expect(error.kind == .protocolViolation)
        }
    }

    @Test(arguments: ["hello\r\n", "2x0 bad\r\n", "25\r\n", "250_bad\r\n", "150 nope\r\n", "650 nope\r\n", "\r\n"])
    func malformedLinesAreViolations(_ text: String) {
        do {
            _ = try replies(text)
            Issue.record("no error for \(text.debugDescription)")
        } catch {
            #expect(error.kind == .protocolViolation)
        }
    }

    @Test func overlongLineIsAViolation() {
        var framer = SMTPLineFramer()
        framer.append(Array(repeating: UInt8(ascii: "a"), count: SMTPLineFramer.maximumLineLength + 1))
        #expect(throws: SMTPError.self) { try framer.nextLine() }
    }

    @Test func replyClassification() {
        #expect(SMTPReply(code: 250, lines: []).isPositiveCompletion)
        #expect(SMTPReply(code: 354, lines: []).isPositiveIntermediate)
        #expect(SMTPReply(code: 451, lines: []).isTransientNegative)
        #expect(SMTPReply(code: 550, lines: []).isPermanentNegative)
    }
}

@Suite struct CapabilitiesTests {
    @Test func extensionsFromEHLO() {
        let reply = SMTPReply(
            code: 250,
            lines: ["mail.example", "PIPELINING", "SIZE 1000", "auth login plain", "AUTH=CRAM-MD5", "STARTTLS", ""])
        let capabilities = SMTPCapabilities(ehloReply: reply)
        #expect(capabilities.supports("starttls"))
        #expect(capabilities.supports("PIPELINING"))
        #expect(!capabilities.supports("mail.example"))
        #expect(capabilities.authMechanisms == ["LOGIN", "PLAIN", "CRAM-MD5"])
        #expect(capabilities.maximumMessageSize == 1000)
    }

    @Test func sizeWithoutLimit() {
        let capabilities = SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["x", "SIZE"]))
        #expect(capabilities.supports("SIZE"))
        #expect(capabilities.maximumMessageSize == nil)
    }

    @Test func heloHasNoExtensions() {
        #expect(SMTPCapabilities().authMechanisms.isEmpty)
        #expect(!SMTPCapabilities().supports("STARTTLS"))
    }
}
