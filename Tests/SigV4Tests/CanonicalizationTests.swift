import Foundation
import SigV4
import Testing

@Suite("Canonicalization details")
struct CanonicalizationTests {
    @Test("S3 paths are encoded once, never normalized")
    func s3Paths() {
        #expect(SigV4Canonicalizer.canonicalURI("", mode: .s3) == "/")
        #expect(SigV4Canonicalizer.canonicalURI("/", mode: .s3) == "/")
        #expect(SigV4Canonicalizer.canonicalURI("/bucket/a%20b/../c//d/./e", mode: .s3) == "/bucket/a%20b/../c//d/./e")
        #expect(SigV4Canonicalizer.canonicalURI("/bucket/caf%C3%A9+x%7e", mode: .s3) == "/bucket/caf%C3%A9%2Bx~")
        #expect(SigV4Canonicalizer.canonicalURI("/bucket/k!'()*=&;:@,$", mode: .s3)
            == "/bucket/k%21%27%28%29%2A%3D%26%3B%3A%40%2C%24")
        // A lower-case escape is re-emitted in upper case; an escaped slash becomes a slash.
        #expect(SigV4Canonicalizer.canonicalURI("/bucket/a%2fb", mode: .s3) == "/bucket/a/b")
        // A stray % is itself encoded.
        #expect(SigV4Canonicalizer.canonicalURI("/bucket/100%", mode: .s3) == "/bucket/100%25")
    }

    @Test("generic paths are normalized and encoded a second time")
    func genericPaths() {
        #expect(SigV4Canonicalizer.canonicalURI("/a%20b", mode: .generic) == "/a%2520b")
        #expect(SigV4Canonicalizer.canonicalURI("//example//", mode: .generic) == "/example/")
        #expect(SigV4Canonicalizer.canonicalURI("/example1/example2/../..", mode: .generic) == "/")
        #expect(SigV4Canonicalizer.canonicalURI("/./example", mode: .generic) == "/example")
        #expect(SigV4Canonicalizer.canonicalURI("/example/$delete", mode: .generic) == "/example/%24delete")
    }

    @Test("query strings: decoded, re-encoded, sorted by name then value, empty values kept")
    func queries() {
        #expect(SigV4Canonicalizer.canonicalQuery("") == "")
        #expect(SigV4Canonicalizer.canonicalQuery("acl") == "acl=")
        #expect(SigV4Canonicalizer.canonicalQuery("b=2&a=x+y&a=%2B&c=") == "a=%2B&a=x%20y&b=2&c=")
        #expect(SigV4Canonicalizer.canonicalQuery("prefix=a/b&delimiter=/") == "delimiter=%2F&prefix=a%2Fb")
        #expect(SigV4Canonicalizer.canonicalQuery("k=%e1%88%b4&&j=~") == "j=~&k=%E1%88%B4")
        #expect(SigV4Canonicalizer.canonicalQuery("Z=1&a=1") == "Z=1&a=1")
        #expect(SigV4Canonicalizer.canonicalQuery(
            "X-Amz-Date=1&X-Amz-Signature=abc&uploads", excluding: ["X-Amz-Signature"]) == "X-Amz-Date=1&uploads=")
    }

    @Test("header values are trimmed and inner whitespace collapsed")
    func headerValues() throws {
        #expect(SigV4Canonicalizer.canonicalHeaderValue("  a   b\t\tc  ") == "a b c")
        #expect(SigV4Canonicalizer.canonicalHeaderValue("value1\n  value2\n     value3") == "value1 value2 value3")
        #expect(SigV4Canonicalizer.canonicalHeaderValue("\"a   b   c\"") == "\"a b c\"")
        let block = try SigV4Canonicalizer.canonicalHeaders(
            [("My-Header1", "value4"), ("Host", "h"), ("my-header1", " value1 ")],
            signedHeaders: ["host", "my-header1"])
        #expect(block == "host:h\nmy-header1:value4,value1\n")
        #expect(SigV4Canonicalizer.signableHeaderNames(
            [("User-Agent", "x"), ("Host", "h"), ("X-Amz-Date", "d"), ("authorization", "a"), ("Content-MD5", "m")])
            == ["content-md5", "host", "x-amz-date"])
    }

    @Test("timestamps")
    func timestamps() throws {
        let date = Date(timeIntervalSince1970: 1_369_353_600)
        #expect(SigV4Date.amzDate(date) == "20130524T000000Z")
        #expect(SigV4Date.parseAmzDate("20130524T000000Z") == date)
        #expect(SigV4Date.parseHTTPDate("Fri, 24 May 2013 00:00:00 GMT") == date)
        #expect(SigV4Date.amzDate(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
        #expect(SigV4Date.amzDate(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(SigV4Date.parseAmzDate("20130231T000000Z") == nil)
        #expect(SigV4Date.parseAmzDate("2013-05-24T00:00:00Z") == nil)
        #expect(SigV4Date.parseAmzDate("20130524T000000") == nil)
        #expect(SigV4Date.parseHTTPDate("Fri, 24 May 2013 00:00:00") == nil)
    }

    @Test("URI encoding helpers")
    func encoding() {
        #expect(SigV4Encoding.uriEncode("a b+c/d~") == "a%20b%2Bc%2Fd~")
        #expect(SigV4Encoding.uriEncode("a b/c", encodeSlash: false) == "a%20b/c")
        #expect(SigV4Encoding.uriEncode("ключ") == "%D0%BA%D0%BB%D1%8E%D1%87")
        #expect(SigV4Encoding.percentDecode("a%20b+c") == "a b+c")
        #expect(SigV4Encoding.percentDecode("a%20b+c", plusAsSpace: true) == "a b c")
        #expect(SigV4Encoding.percentDecode("%zz%4") == "%zz%4")
    }

    @Test("scope and authorization parsing")
    func parsing() throws {
        #expect(SigV4Scope(date: "20150830", region: "us-east-1", service: "service").description
            == "20150830/us-east-1/service/aws4_request")
        let parsed = try SigV4Authorization.parse(
            header: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(parsed.accessKeyID == "AKIDEXAMPLE")
        #expect(parsed.scope == SigV4Scope(date: "20150830", region: "us-east-1", service: "service"))
        #expect(parsed.signedHeaders == ["host", "x-amz-date"])
        #expect(parsed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(SigV4Hex.constantTimeEquals("ABCDEF", "abcdef"))
        #expect(!SigV4Hex.constantTimeEquals("abcdef", "abcdee"))
        #expect(!SigV4Hex.constantTimeEquals("abc", "abcd"))
    }
}
