import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import S3Server
import SigV4
import Testing

/// Drives signed requests through the listener over a real `LocalObjectStore`.
@Suite struct S3ApplicationTests {
    @Test func putGetListDelete() async throws {
        try await S3TestHarness.withClient { client in
            let created = try await client.s3(.put, "/photos")
            #expect(created.status == .ok)
            #expect(created.headers[HTTPField.Name("x-amz-request-id")!] != nil)

            let content = Array("hello, object store".utf8)
            let put = try await client.s3(
                .put, "/photos/dir/a%2Fb+c.txt", body: content,
                headers: [("Content-Type", "text/plain"), ("x-amz-meta-colour", "blue")])
            #expect(put.status == .ok)
            let md5 = Insecure.MD5.hash(data: content).map { String(format: "%02x", $0) }.joined()
            #expect(put.headers[.eTag] == "\"\(md5)\"")

            let get = try await client.s3(.get, "/photos/dir/a%2Fb+c.txt")
            #expect(get.status == .ok)
            #expect(get.bytes == content)
            #expect(get.headers[.contentType] == "text/plain")
            #expect(get.headers[.contentLength] == String(content.count))
            #expect(get.headers[.eTag] == "\"\(md5)\"")
            #expect(get.headers[.acceptRanges] == "bytes")
            #expect(get.headers[HTTPField.Name("x-amz-meta-colour")!] == "blue")
            #expect(get.headers[.lastModified]?.hasSuffix(" GMT") == true)

            let head = try await client.s3(.head, "/photos/dir/a%2Fb+c.txt")
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == String(content.count))
            #expect(head.bytes.isEmpty)

            let range = try await client.s3(.get, "/photos/dir/a%2Fb+c.txt", headers: [("Range", "bytes=7-12")])
            #expect(range.status == .partialContent)
            #expect(range.text == "object")
            #expect(range.headers[.contentRange] == "bytes 7-12/\(content.count)")

            let unsatisfiable = try await client.s3(.get, "/photos/dir/a%2Fb+c.txt", headers: [("Range", "bytes=500-")])
            #expect(unsatisfiable.status == .rangeNotSatisfiable)
            #expect(unsatisfiable.text.contains("<Code>InvalidRange</Code>"))

            let notModified = try await client.s3(.get, "/photos/dir/a%2Fb+c.txt", headers: [("If-None-Match", "\"\(md5)\"")])
            #expect(notModified.status == .notModified)
            let failed = try await client.s3(.get, "/photos/dir/a%2Fb+c.txt", headers: [("If-Match", "\"nope\"")])
            #expect(failed.status == .preconditionFailed)

            _ = try await client.s3(.put, "/photos/top.txt", body: Array("x".utf8))
            let list = try await client.s3(.get, "/photos", query: "delimiter=%2F&list-type=2")
            #expect(list.status == .ok)
            #expect(list.text.contains("<KeyCount>2</KeyCount>"))
            #expect(list.text.contains("<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"))
            #expect(list.text.contains("<Key>top.txt</Key>"))
            #expect(list.text.contains("xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""))

            let encoded = try await client.s3(.get, "/photos", query: "encoding-type=url&list-type=2&prefix=dir%2F")
            #expect(encoded.text.contains("<Key>dir/a/b%2Bc.txt</Key>"))

            let paged = try await client.s3(.get, "/photos", query: "list-type=2&max-keys=1")
            #expect(paged.text.contains("<IsTruncated>true</IsTruncated>"))
            let token = try #require(Self.element("NextContinuationToken", in: paged.text))
            let second = try await client.s3(
                .get, "/photos", query: "continuation-token=\(SigV4Encoding.uriEncode(token))&list-type=2&max-keys=1")
            #expect(second.text.contains("<Key>top.txt</Key>"))
            #expect(second.text.contains("<IsTruncated>false</IsTruncated>"))

            let deleted = try await client.s3(.delete, "/photos/top.txt")
            #expect(deleted.status == .noContent)
            let again = try await client.s3(.delete, "/photos/top.txt")
            #expect(again.status == .noContent)
            let missing = try await client.s3(.get, "/photos/top.txt")
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("<Code>NoSuchKey</Code>"))
            #expect(missing.text.contains("<Resource>/photos/top.txt</Resource>"))

            let buckets = try await client.s3(.get, "/")
            #expect(buckets.text.contains("<Name>photos</Name>"))
            let notEmpty = try await client.s3(.delete, "/photos")
            #expect(notEmpty.status == .conflict)
        }
    }

    @Test func authenticationFailures() async throws {
        try await S3TestHarness.withClient { client in
            let anonymous = try await client.execute(uri: "/", method: .get)
            #expect(anonymous.status == .forbidden)
            #expect(anonymous.text.contains("<Code>AccessDenied</Code>"))

            let unknown = try await client.s3(.get, "/", credential: S3Credential(accessKeyID: "GKNOPE", secret: "x", tenant: "t"))
            #expect(unknown.status == .forbidden)
            #expect(unknown.text.contains("<Code>InvalidAccessKeyId</Code>"))

            let wrongSecret = try await client.s3(
                .get, "/", credential: S3Credential(accessKeyID: S3TestHarness.credential.accessKeyID, secret: "wrong", tenant: "t"))
            #expect(wrongSecret.status == .forbidden)
            #expect(wrongSecret.text.contains("<Code>SignatureDoesNotMatch</Code>"))

            let wrongRegion = try await client.s3(.get, "/", region: "us-east-1")
            #expect(wrongRegion.status == .badRequest)
            #expect(wrongRegion.text.contains("<Code>AuthorizationHeaderMalformed</Code>"))
            #expect(wrongRegion.text.contains("garage"))

            let skewed = S3TestHarness.signedHeaders(.get, "/", date: Date().addingTimeInterval(-3600))
            let tooOld = try await client.execute(uri: "/", method: .get, headers: skewed)
            #expect(tooOld.status == .forbidden)
            #expect(tooOld.text.contains("<Code>RequestTimeTooSkewed</Code>"))

            let acl = try await client.s3(.get, "/photos", query: "acl")
            #expect(acl.status == .notImplemented)
        }
    }

    @Test func corruptedBodiesStoreNothing() async throws {
        try await S3TestHarness.withClient(maxObjectBytes: 1024) { client in
            _ = try await client.s3(.put, "/bucket")
            let content = Array("the real content".utf8)
            let mismatch = try await client.s3(.put, "/bucket/k", body: content, payloadHash: S3TestHarness.sha256(Array("other".utf8)))
            #expect(mismatch.status == .badRequest)
            #expect(mismatch.text.contains("<Code>XAmzContentSHA256Mismatch</Code>"))

            let badMD5 = try await client.s3(
                .put, "/bucket/k", body: content, headers: [("Content-MD5", Data(Insecure.MD5.hash(data: [1])).base64EncodedString())])
            #expect(badMD5.status == .badRequest)
            #expect(badMD5.text.contains("<Code>BadDigest</Code>"))

            let invalidMD5 = try await client.s3(.put, "/bucket/k", body: content, headers: [("Content-MD5", "not-base64")])
            #expect(invalidMD5.text.contains("<Code>InvalidDigest</Code>"))

            let tooLarge = try await client.s3(.put, "/bucket/k", body: [UInt8](repeating: 7, count: 2048))
            #expect(tooLarge.status == .badRequest)
            #expect(tooLarge.text.contains("<Code>EntityTooLarge</Code>"))

            let nul = try await client.s3(.put, "/bucket/a%00b", body: content)
            #expect(nul.status == .badRequest)

            let gone = try await client.s3(.get, "/bucket/k")
            #expect(gone.status == .notFound)
            let list = try await client.s3(.get, "/bucket", query: "list-type=2")
            #expect(list.text.contains("<KeyCount>0</KeyCount>"))

            let unsigned = try await client.s3(.put, "/bucket/u", body: content, payloadHash: SigV4PayloadHash.unsignedPayload)
            #expect(unsigned.status == .ok)
        }
    }

    @Test func signedChunkedUpload() async throws {
        try await S3TestHarness.withClient { client in
            _ = try await client.s3(.put, "/bucket")
            let content = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
            let date = Date()
            let amzDate = SigV4Date.amzDate(date)
            var headers = S3TestHarness.signedHeaders(
                .put, "/bucket/chunked", headers: [
                    ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", String(content.count)),
                ], payloadHash: SigV4PayloadHash.streamingSignedPayload, date: date)
            let authorization = try #require(headers[.authorization])
            let seed = String(try #require(authorization.split(separator: "Signature=").last))
            let signing = AWSChunkSigningContext(
                secretAccessKey: S3TestHarness.credential.secret, amzDate: amzDate,
                scope: SigV4Scope(amzDate: amzDate, region: S3TestHarness.region, service: "s3"), seedSignature: seed)
            var body: [UInt8] = []
            var previous = seed
            var chunks = stride(from: 0, to: content.count, by: 65_536).map { Array(content[$0..<min($0 + 65_536, content.count)]) }
            chunks.append([])
            for chunk in chunks {
                let signature = signing.chunkSignature(previousSignature: previous, data: chunk)
                body += Array("\(String(chunk.count, radix: 16));chunk-signature=\(signature)\r\n".utf8) + chunk + Array("\r\n".utf8)
                previous = signature
            }
            let put = try await client.execute(uri: "/bucket/chunked", method: .put, headers: headers, body: ByteBuffer(bytes: body))
            #expect(put.status == .ok)
            let get = try await client.s3(.get, "/bucket/chunked")
            #expect(get.bytes == content)

            // One flipped data byte breaks that chunk's signature: nothing is stored.
            var tampered = body
            tampered[200] ^= 0xFF
            headers[.contentLength] = nil
            let bad = try await client.execute(uri: "/bucket/tampered", method: .put, headers: headers, body: ByteBuffer(bytes: tampered))
            #expect(bad.status == .forbidden)
            #expect(bad.text.contains("<Code>SignatureDoesNotMatch</Code>"))
            #expect(try await client.s3(.head, "/bucket/tampered").status == .notFound)
        }
    }

    @Test func multipartAndCopy() async throws {
        try await S3TestHarness.withClient { client in
            _ = try await client.s3(.put, "/bucket")
            let created = try await client.s3(.post, "/bucket/big", query: "uploads")
            #expect(created.status == .ok)
            let uploadID = try #require(Self.element("UploadId", in: created.text))
            let encodedID = SigV4Encoding.uriEncode(uploadID)
            let first = [UInt8](repeating: 1, count: 5 << 20)
            let second = Array("tail".utf8)
            let part1 = try await client.s3(.put, "/bucket/big", query: "partNumber=1&uploadId=\(encodedID)", body: first)
            #expect(part1.status == .ok)
            let part2 = try await client.s3(.put, "/bucket/big", query: "partNumber=2&uploadId=\(encodedID)", body: second)
            let etag1 = try #require(part1.headers[.eTag])
            let etag2 = try #require(part2.headers[.eTag])

            let parts = try await client.s3(.get, "/bucket/big", query: "uploadId=\(encodedID)")
            #expect(parts.text.contains("<PartNumber>2</PartNumber>"))
            let uploads = try await client.s3(.get, "/bucket", query: "uploads")
            #expect(uploads.text.contains("<UploadId>\(uploadID)</UploadId>"))

            let wrongOrder = Array(
                "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>\(etag2)</ETag></Part><Part><PartNumber>1</PartNumber><ETag>\(etag1)</ETag></Part></CompleteMultipartUpload>"
                    .utf8)
            let refused = try await client.s3(.post, "/bucket/big", query: "uploadId=\(encodedID)", body: wrongOrder)
            #expect(refused.text.contains("<Code>InvalidPartOrder</Code>"))

            let complete = Array(
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag1)</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\(etag2)</ETag></Part></CompleteMultipartUpload>"
                    .utf8)
            let done = try await client.s3(.post, "/bucket/big", query: "uploadId=\(encodedID)", body: complete)
            #expect(done.status == .ok)
            // Quoted, as S3 writes it (the quotes escaped in XML text).
            #expect(done.text.contains("<ETag>&quot;") && done.text.contains("-2&quot;</ETag>"))
            let whole = try await client.s3(.get, "/bucket/big")
            #expect(whole.bytes.count == first.count + second.count)
            #expect(whole.headers[HTTPField.Name("x-amz-mp-parts-count")!] == "2")
            let tail = try await client.s3(.get, "/bucket/big", headers: [("Range", "bytes=-4")])
            #expect(tail.text == "tail")

            let copy = try await client.s3(.put, "/bucket/copy", headers: [("x-amz-copy-source", "/bucket/big")])
            #expect(copy.status == .ok)
            #expect(copy.text.contains("<CopyObjectResult"))
            let copied = try await client.s3(.head, "/bucket/copy")
            #expect(copied.headers[.contentLength] == String(first.count + second.count))
            let toSelf = try await client.s3(.put, "/bucket/copy", headers: [("x-amz-copy-source", "bucket/copy")])
            #expect(toSelf.status == .badRequest)

            let gone = try await client.s3(.delete, "/bucket/nothing", query: "uploadId=nope")
            #expect(gone.status == .notFound)
            #expect(gone.text.contains("<Code>NoSuchUpload</Code>"))

            let batch = Array(
                "<Delete><Object><Key>big</Key></Object><Object><Key>copy</Key></Object><Object><Key>absent</Key></Object></Delete>".utf8)
            let deleted = try await client.s3(.post, "/bucket", query: "delete", body: batch)
            #expect(deleted.status == .ok)
            #expect(deleted.text.contains("<Deleted><Key>absent</Key></Deleted>"))
            #expect(try await client.s3(.delete, "/bucket").status == .noContent)
        }
    }

    @Test func tenantsAreSeparated() async throws {
        try await S3TestHarness.withClient { client in
            _ = try await client.s3(.put, "/mine")
            let other = try await client.s3(.get, "/mine", query: "list-type=2", credential: S3TestHarness.other)
            #expect(other.status == .forbidden)
            let taken = try await client.s3(.put, "/mine", credential: S3TestHarness.other)
            #expect(taken.status == .conflict)
            #expect(taken.text.contains("<Code>BucketAlreadyExists</Code>"))
        }
    }

    @Test func presignedGet() async throws {
        try await S3TestHarness.withClient { client in
            _ = try await client.s3(.put, "/bucket")
            _ = try await client.s3(.put, "/bucket/shared.txt", body: Array("shared".utf8))
            let credentials = SigV4Credentials(
                accessKeyID: S3TestHarness.credential.accessKeyID, secretAccessKey: S3TestHarness.credential.secret)
            func presign(_ date: Date, expires: Int) -> String {
                let presigned = SigV4Signer.presign(
                    SigV4Request(method: "GET", path: "/bucket/shared.txt", headers: [("host", "localhost")], payloadHash: "UNSIGNED-PAYLOAD"),
                    credentials: credentials, amzDate: SigV4Date.amzDate(date), expires: expires, region: S3TestHarness.region,
                    service: "s3", mode: .s3)
                return "/bucket/shared.txt?\(presigned.query)"
            }
            let good = try await client.execute(uri: presign(Date(), expires: 300), method: .get)
            #expect(good.status == .ok)
            #expect(good.text == "shared")
            let expired = try await client.execute(uri: presign(Date().addingTimeInterval(-600), expires: 60), method: .get)
            #expect(expired.status == .forbidden)
            #expect(expired.text.contains("Request has expired"))
        }
    }

    /// The text of the first `<name>` element of a document.
    static func element(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex) else {
            return nil
        }
        return String(text[start.upperBound..<end.lowerBound])
    }
}
