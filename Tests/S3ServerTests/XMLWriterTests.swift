import Foundation
import Testing

@testable import S3Server

@Suite struct XMLWriterTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func declarationNamespaceAndNesting() {
        var xml = XMLWriter()
        xml.element("ListBucketResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("Name", "b")
            xml.element("IsTruncated", false)
            xml.element("MaxKeys", 1000)
            xml.element("Contents") { $0.element("Key", "k") }
            xml.element("Missing", ifPresent: nil)
        }
        #expect(
            text(xml.finish())
                == """
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>false</IsTruncated>\
                <MaxKeys>1000</MaxKeys><Contents><Key>k</Key></Contents></ListBucketResult>
                """)
    }

    @Test func escapesMarkupCharacters() {
        #expect(XMLWriter.escape(#"a<b>&"c"'d"#) == "a&lt;b&gt;&amp;&quot;c&quot;&apos;d")
        #expect(XMLWriter.escape("&amp;") == "&amp;amp;")
        #expect(XMLWriter.escape("日本/café") == "日本/café")
    }

    @Test func escapesControlCharactersAsReferences() {
        #expect(XMLWriter.escape("a\nb\rc\td") == "a&#xA;b&#xD;c&#x9;d")
        #expect(XMLWriter.escape("\u{1}\u{1F}") == "&#x1;&#x1F;")
    }

    @Test func finishClosesOpenElements() {
        var xml = XMLWriter()
        xml.start("A")
        xml.start("B")
        xml.text("x<y")
        #expect(text(xml.finish()).hasSuffix("<A><B>x&lt;y</B></A>"))
    }

    @Test func errorDocument() {
        let document = S3ErrorResponse.document(S3Error.noSuchKey("a&b"), resource: "/bucket/a&b", requestID: "req-1")
        #expect(
            text(document)
                == """
                <?xml version="1.0" encoding="UTF-8"?>
                <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key>\
                <Resource>/bucket/a&amp;b</Resource><RequestId>req-1</RequestId></Error>
                """)
    }

    @Test func errorResponseHasNoBodyForHead() {
        let head = S3ErrorResponse.response(.noSuchKey("k"), resource: "/b/k", requestID: "r", isHead: true)
        #expect(head.status == .notFound)
        #expect(head.headers[.contentLength] == "0")
        let get = S3ErrorResponse.response(.noSuchKey("k"), resource: "/b/k", requestID: "r", isHead: false)
        #expect(get.headers[.contentType] == "application/xml")
        #expect(get.headers[.contentLength].flatMap(Int.init) == get.body.contentLength)
    }

    @Test func urlEncodingForListings() {
        #expect(URLEncoding.encode("a b+c/d~e") == "a%20b%2Bc/d~e")
        #expect(URLEncoding.encode("é") == "%C3%A9")
        #expect(URLEncoding.encode("\u{1}") == "%01")
    }

    @Test func timestamps() {
        let date = Date(timeIntervalSince1970: 1_255_369_800.123)
        #expect(S3Timestamps.iso8601(date) == "2009-10-12T17:50:00.123Z")
        #expect(S3Timestamps.rfc1123(date) == "Mon, 12 Oct 2009 17:50:00 GMT")
    }

    @Test func parsesHTTPDates() {
        let expected = Date(timeIntervalSince1970: 784_111_777)
        #expect(S3Timestamps.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT") == expected)
        #expect(S3Timestamps.parseHTTPDate("Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(S3Timestamps.parseHTTPDate("Sun Nov  6 08:49:37 1994") == expected)
        #expect(S3Timestamps.parseHTTPDate("1994-11-06T08:49:37Z") == expected)
        #expect(S3Timestamps.parseHTTPDate("1994-11-06T08:49:37.000Z") == expected)
        #expect(S3Timestamps.parseHTTPDate("yesterday") == nil)
        #expect(S3Timestamps.parseHTTPDate("Sun, 32 Nov 1994 08:49:37 GMT") == nil)
    }
}
