import Hummingbird
import Storage
import Testing

@testable import S3Server

@Suite struct XMLBodyParsingTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func locationConstraint() throws {
        #expect(try RequestDocuments.locationConstraint([]) == "")
        #expect(try RequestDocuments.locationConstraint(bytes("  \n")) == "")
        let document = """
            <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <LocationConstraint>garage</LocationConstraint>
            </CreateBucketConfiguration>
            """
        #expect(try RequestDocuments.locationConstraint(bytes(document)) == "garage")
        #expect(try RequestDocuments.locationConstraint(bytes("<CreateBucketConfiguration/>")) == "")
    }

    @Test func deleteDocument() throws {
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Quiet>true</Quiet>
              <Object><Key>a &amp; b</Key></Object>
              <Object><Key> spaced </Key><VersionId>null</VersionId></Object>
              <Object><Key><![CDATA[x<y]]></Key></Object>
            </Delete>
            """
        let request = try RequestDocuments.deleteRequest(bytes(document))
        #expect(request.quiet)
        #expect(request.keys == ["a & b", " spaced ", "x<y"])
        let loud = try RequestDocuments.deleteRequest(bytes("<Delete><Object><Key>k</Key></Object></Delete>"))
        #expect(!loud.quiet)
    }

    @Test func deleteLimits() {
        let tooMany = "<Delete>" + String(repeating: "<Object><Key>k</Key></Object>", count: 1001) + "</Delete>"
        #expect(throws: S3Error.malformedXML()) { try RequestDocuments.deleteRequest(bytes(tooMany)) }
        #expect(throws: S3Error.malformedXML()) { try RequestDocuments.deleteRequest(bytes("<Delete></Delete>")) }
        #expect(throws: S3Error.malformedXML()) { try RequestDocuments.deleteRequest(bytes("<Delete><Object/></Delete>")) }
        #expect(throws: S3Error.malformedXML()) {
            try RequestDocuments.deleteRequest(bytes("<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>"))
        }
    }

    @Test func completeMultipartDocument() throws {
        let document = """
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Part><PartNumber>1</PartNumber><ETag>"aaa"</ETag></Part>
              <Part><ETag>bbb</ETag><PartNumber> 3 </PartNumber><ChecksumCRC32>x</ChecksumCRC32></Part>
            </CompleteMultipartUpload>
            """
        let parts = try RequestDocuments.completedParts(bytes(document))
        #expect(parts == [CompletedPart(number: 1, etag: "\"aaa\""), CompletedPart(number: 3, etag: "bbb")])
    }

    @Test func completeMultipartErrors() {
        #expect(throws: S3Error.invalidPartOrder()) {
            try RequestDocuments.completedParts(
                bytes("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>"))
        }
        #expect(throws: S3Error.invalidPartOrder()) {
            try RequestDocuments.completedParts(
                bytes("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>"))
        }
        #expect(throws: S3Error.malformedXML()) { try RequestDocuments.completedParts(bytes("<CompleteMultipartUpload/>")) }
        #expect(throws: S3Error.malformedXML()) {
            try RequestDocuments.completedParts(bytes("<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>"))
        }
        #expect(throws: S3Error.self) {
            try RequestDocuments.completedParts(bytes("<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>"))
        }
    }

    @Test func malformedXMLIsRejected() {
        for text in ["<Delete>", "not xml", "<Delete><Object><Key>k</Object></Delete>", "<Delete></Other>", "<a/><b/>",
            "<CreateBucketConfiguration><LocationConstraint>x</LocationConstraint>"]
        {
            #expect(throws: S3Error.self, "\(text)") { try XMLDocumentParser.parse(bytes(text)) }
        }
        #expect(throws: S3Error.malformedXML()) { try RequestDocuments.locationConstraint(bytes("<Wrong/>")) }
        #expect(throws: S3Error.malformedXML()) { try RequestDocuments.deleteRequest(bytes("<CompleteMultipartUpload/>")) }
    }

    @Test func deepNestingIsRejected() {
        let deep = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
        #expect(throws: S3Error.malformedXML()) { try XMLDocumentParser.parse(bytes(deep)) }
    }

    @Test func bodyOverTheLimitIsRefused() async throws {
        // The cap is applied while the body streams (PayloadReader.collect): past it is
        // MaxMessageLengthExceeded, before any XML is parsed.
        let reader = PayloadReader(framing: .plain(sha256: nil), contentMD5: nil, checksum: nil, declaredLength: nil)
        let large = ByteBuffer(bytes: [UInt8](repeating: 0x20, count: 2048))
        await #expect(throws: S3Error.maxMessageLengthExceeded()) {
            try await reader.collect(RequestBody(buffer: large), limit: 1024)
        }
        let small = try await reader.collect(RequestBody(buffer: ByteBuffer(bytes: bytes("<Delete/>"))), limit: 1024)
        #expect(small == bytes("<Delete/>"))
    }
}
