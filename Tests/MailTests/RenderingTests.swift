import Foundation
import Testing

@testable import Mail

@Suite struct RenderingTests {
    static let date = Date(timeIntervalSince1970: 1_709_647_389)  // Tue, 05 Mar 2024 14:03:09 UTC

    static func message(
        subject: String = "Checkpoint waiting",
        body: String = "Hello,\nplease review.\n",
        headers: [(String, String)] = []
    ) -> MailMessage {
        MailMessage(
            from: "notifier@scaicore.example", to: ["alice@example.com", "bob@example.org"], subject: subject,
            textBody: body, messageID: "<abc.123@scaicore.example>", date: date, headers: headers)
    }

    @Test func everyLineEndsInCRLF() {
        let text = Self.message(body: "one\ntwo\r\nthree\rfour").rendered()
        let bytes = Array(text.utf8)
        #expect(text.hasSuffix("\r\n"))
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") { #expect(index > 0 && bytes[index - 1] == UInt8(ascii: "\r")) }
            if byte == UInt8(ascii: "\r") { #expect(index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")) }
        }
        #expect(TestDecoding.split(text).body == "one\r\ntwo\r\nthree\r\nfour\r\n")
    }

    @Test func standardHeadersInOrder() {
        let text = Self.message(headers: [("Auto-Submitted", "auto-generated")]).rendered()
        let head = TestDecoding.split(text).head
        let names = head.components(separatedBy: "\r\n").compactMap { line in
            line.first == " " ? nil : line.split(separator: ":").first.map(String.init)
        }
        #expect(
            names == [
                "Date", "From", "To", "Subject", "Message-ID", "Auto-Submitted", "MIME-Version", "Content-Type",
                "Content-Transfer-Encoding",
            ])
        #expect(head.contains("Date: Tue, 05 Mar 2024 14:03:09 +0000\r\n"))
        #expect(head.contains("From: notifier@scaicore.example\r\n"))
        #expect(head.contains("To: alice@example.com, bob@example.org\r\n"))
        #expect(head.contains("Subject: Checkpoint waiting\r\n"))
        #expect(head.contains("Message-ID: <abc.123@scaicore.example>\r\n"))
        #expect(head.contains("MIME-Version: 1.0\r\n"))
        #expect(head.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        #expect(head.hasSuffix("Content-Transfer-Encoding: quoted-printable"))
    }

    @Test func messageIDWithoutBracketsIsWrapped() {
        var message = Self.message()
        message.messageID = "id-1@host.example"
        #expect(message.rendered().contains("Message-ID: <id-1@host.example>\r\n"))
    }

    @Test func missingMessageIDIsGeneratedFromSenderDomain() {
        var message = Self.message()
        message.messageID = nil
        let id = TestDecoding.headerValue("Message-ID", in: message.rendered()) ?? ""
        #expect(id.hasPrefix("<") && id.hasSuffix("@scaicore.example>"))
        #expect(id.count > "<@scaicore.example>".count + 30)
    }

    @Test func dateIsRFC5322InUTC() {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(RFC5322Date.format(Self.date) == "Tue, 05 Mar 2024 14:03:09 +0000")
    }

    @Test func nonASCIISubjectIsRFC2047Encoded() {
        let subject = "Prüfung erforderlich: Freigabe für «Q3-Bericht» 🚦"
        let text = Self.message(subject: subject).rendered()
        let head = TestDecoding.split(text).head
        #expect(head.utf8.allSatisfy { $0 < 0x80 })
        #expect(head.contains("Subject: =?UTF-8?B?"))
        #expect(TestDecoding.headerValue("Subject", in: text) == subject)
    }

    @Test func longNonASCIISubjectIsSplitIntoShortEncodedWords() {
        let subject = String(repeating: "Überprüfung 😀 ", count: 40)
        let text = Self.message(subject: subject).rendered()
        let head = TestDecoding.split(text).head
        let subjectLines = head.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }
            .prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 10)
        for line in subjectLines {
            #expect(line.count <= 76, "encoded-word line too long: \(line)")
        }
        // Every encoded-word decodes to valid UTF-8 on its own (no character split between words).
        for line in subjectLines {
            let word = line.split(separator: " ").last.map(String.init) ?? ""
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            let bytes = Data(base64Encoded: String(payload)) ?? Data()
            #expect(String(data: bytes, encoding: .utf8) != nil)
        }
        #expect(TestDecoding.headerValue("Subject", in: text) == subject)
    }

    @Test func longASCIISubjectIsFoldedAtSpaces() {
        let subject = (1...40).map { "word\($0)" }.joined(separator: " ")
        let text = Self.message(subject: subject).rendered()
        let head = TestDecoding.split(text).head
        for line in head.components(separatedBy: "\r\n") {
            #expect(line.count <= 78)
        }
        #expect(TestDecoding.headerValue("Subject", in: text) == subject)
    }

    @Test func subjectThatLooksEncodedIsEncoded() {
        let subject = "=?UTF-8?B?SGk=?= is not what it seems"
        let text = Self.message(subject: subject).rendered()
        #expect(TestDecoding.headerValue("Subject", in: text) == subject)
    }

    @Test func unbreakableASCIIWordStaysWithinLineLimit() {
        let subject = String(repeating: "x", count: 2_000)
        let text = Self.message(subject: subject).rendered()
        for line in text.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 998)
        }
        #expect(TestDecoding.headerValue("Subject", in: text) == subject)
    }

    @Test func headerInjectionIsStrippedWhenRendering() {
        var message = Self.message(
            subject: "Hi\r\nBcc: victim@example.com",
            headers: [("X-Note", "a\nInjected: yes"), ("Bad Name", "x"), ("Bcc:", "y"), ("Subject", "dup")])
        message.to = ["alice@example.com\r\nBcc: evil@example.com"]
        message.from = "notifier@scaicore.example\nX-Evil: 1"
        let head = TestDecoding.split(message.rendered()).head
        let names = head.components(separatedBy: "\r\n").compactMap { line in
            line.first == " " ? nil : line.split(separator: ":").first.map(String.init)
        }
        #expect(!names.contains("Bcc"))
        #expect(!names.contains("Injected"))
        #expect(!names.contains("X-Evil"))
        #expect(!names.contains("Bad Name"))
        #expect(names.filter { $0 == "Subject" }.count == 1)
        #expect(TestDecoding.headerValue("Subject", in: message.rendered()) == "Hi Bcc: victim@example.com")
        #expect(TestDecoding.headerValue("X-Note", in: message.rendered()) == "a Injected: yes")
    }

    @Test func nonASCIIExtraHeaderValueIsEncoded() {
        let text = Self.message(headers: [("X-Checkpoint", "Genehmigung für Jörg")]).rendered()
        #expect(TestDecoding.split(text).head.utf8.allSatisfy { $0 < 0x80 })
        #expect(TestDecoding.headerValue("X-Checkpoint", in: text) == "Genehmigung für Jörg")
    }

    @Test func bodyIsQuotedPrintableWithShortLines() {
        let body =
            String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 30)
            + "\nÄnderung = 100 %\n"
        let text = Self.message(body: body).rendered()
        let encoded = TestDecoding.split(text).body
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
            #expect(line.utf8.allSatisfy { $0 < 0x80 })
        }
        #expect(String(decoding: TestDecoding.quotedPrintable(encoded), as: UTF8.self) == body)
    }
}

@Suite struct DotStuffingTests {
    @Test func linesStartingWithADotAreDoubled() {
        let data = SMTPDataEncoding.encode(".hidden\r\nplain\r\n..two\r\n.\r\nend.\r\n")
        #expect(String(decoding: data, as: UTF8.self) == "..hidden\r\nplain\r\n...two\r\n..\r\nend.\r\n.\r\n")
    }

    @Test func terminatorIsAddedAfterFinalCRLF() {
        #expect(String(decoding: SMTPDataEncoding.encode("a\r\nb"), as: UTF8.self) == "a\r\nb\r\n.\r\n")
    }

    @Test func bareLineBreaksBecomeCRLF() {
        #expect(String(decoding: SMTPDataEncoding.encode("a\n.b\rc"), as: UTF8.self) == "a\r\n..b\r\nc\r\n.\r\n")
    }

    @Test func renderedBodyWithDotLinesIsStuffed() {
        let message = MailMessage(
            from: "a@b.example", to: ["c@d.example"], subject: "s", textBody: "first\n.\n.second\n", messageID: "x@y",
            date: Date(timeIntervalSince1970: 0))
        let wire = String(decoding: SMTPDataEncoding.encode(message.rendered()), as: UTF8.self)
        #expect(wire.hasSuffix("\r\n\r\nfirst\r\n..\r\n..second\r\n.\r\n"))
        // No line of the data is a lone "." before the terminator.
        let lines = wire.components(separatedBy: "\r\n")
        #expect(lines.firstIndex(of: ".") == lines.count - 2)
    }
}
