import Hummingbird
import Testing

@testable import S3Server

@Suite struct RequestTargetTests {
    private func parse(_ target: String, host: String? = "localhost:3900", root: String = "localhost") throws(S3Error) -> RequestTarget {
        try RequestTarget(target: target, host: host, rootDomain: root)
    }

    @Test func serviceRootHasNoBucket() throws {
        let target = try parse("/")
        #expect(target.bucket == nil)
        #expect(target.key == nil)
        #expect(target.style == .path)
        #expect(target.resource == "/")
    }

    @Test func pathStyleBucketAndKey() throws {
        let target = try parse("/photos/2024/cat.jpg?versionId=1")
        #expect(target.bucket == "photos")
        #expect(target.key == "2024/cat.jpg")
        #expect(target.rawPath == "/photos/2024/cat.jpg")
        #expect(target.rawQuery == "versionId=1")
        #expect(target.query["versionId"] == "1")
    }

    @Test func pathStyleBucketOnly() throws {
        for raw in ["/photos", "/photos/", "/photos?list-type=2"] {
            let target = try parse(raw)
            #expect(target.bucket == "photos")
            #expect(target.key == nil)
        }
    }

    @Test func keyIsDecodedOnceWithEncodedSlashAndLiteralPlus() throws {
        let target = try parse("/b/a%2Fb+c%20d%25e")
        #expect(target.key == "a/b+c d%e")
        #expect(target.rawPath == "/b/a%2Fb+c%20d%25e")
    }

    @Test func unicodeKey() throws {
        let target = try parse("/b/%E6%97%A5%E6%9C%AC/caf%C3%A9")
        #expect(target.key == "日本/café")
    }

    @Test func dotSegmentsAndEmptySegmentsAreKept() throws {
        #expect(try parse("/b/a/../b").key == "a/../b")
        #expect(try parse("/b/../etc/passwd").key == "../etc/passwd")
        #expect(try parse("/b/a//b/").key == "a//b/")
        #expect(try parse("/b/%2E%2E").key == "..")
    }

    @Test func malformedEscapesAndInvalidUTF8AreInvalidURI() {
        for raw in ["/b/a%zz", "/b/a%2", "/b/%FF%FE", "/b/x?prefix=%G1"] {
            #expect(throws: S3Error.self) { try parse(raw) }
            do {
                _ = try parse(raw)
            } catch {
                #expect(error.code == "InvalidURI")
            }
        }
    }

    @Test func queryPlusIsASpaceAndBareNamesArePresent() throws {
        let target = try parse("/b?prefix=a+b%2Bc&uploads&delimiter=%2F")
        #expect(target.query["prefix"] == "a b+c")
        #expect(target.query.has("uploads"))
        #expect(target.query["uploads"] == "")
        #expect(target.query["delimiter"] == "/")
        #expect(!target.query.has("marker"))
    }

    @Test func virtualHostedStyle() throws {
        let target = try parse("/dir/file.txt", host: "photos.localhost:3900")
        #expect(target.style == .virtualHosted)
        #expect(target.bucket == "photos")
        #expect(target.key == "dir/file.txt")
        #expect(target.resource == "/photos/dir/file.txt")

        let bucketOnly = try parse("/?list-type=2", host: "Photos.LOCALHOST")
        #expect(bucketOnly.bucket == "photos")
        #expect(bucketOnly.key == nil)

        let dotted = try parse("/k", host: "my.bucket.s3.example.com", root: "s3.example.com")
        #expect(dotted.bucket == "my.bucket")
        #expect(dotted.key == "k")
    }

    @Test func virtualHostedKeyDecoding() throws {
        let target = try parse("/a%2Fb+c", host: "b.localhost")
        #expect(target.key == "a/b+c")
    }

    @Test func rootDomainIPAndOtherHostsArePathStyle() throws {
        for host in ["localhost", "localhost:3900", "127.0.0.1:3900", "10.0.0.1", "[::1]:3900", "example.org", nil] {
            let target = try parse("/b/k", host: host)
            #expect(target.style == .path, "host \(host ?? "nil")")
            #expect(target.bucket == "b")
            #expect(target.key == "k")
        }
    }

    @Test func absoluteFormTarget() throws {
        let target = try parse("http://b.localhost:3900/k?uploads", host: nil)
        #expect(target.bucket == "b")
        #expect(target.key == "k")
        #expect(target.query.has("uploads"))
        #expect(target.rawPath == "/k")
    }

    @Test func targetWithoutLeadingSlashIsInvalid() {
        #expect(throws: S3Error.self) { try parse("b/k") }
    }
}

@Suite struct OperationResolutionTests {
    private func resolve(_ method: HTTPRequest.Method, _ raw: String, headers: HTTPFields = [:]) throws(S3Error) -> S3Operation {
        try S3Operation.resolve(method: method, target: RequestTarget(target: raw, host: "localhost", rootDomain: "localhost"), headers: headers)
    }

    @Test func dispatch() throws {
        #expect(try resolve(.get, "/") == .listBuckets)
        #expect(try resolve(.put, "/b") == .createBucket)
        #expect(try resolve(.delete, "/b") == .deleteBucket)
        #expect(try resolve(.head, "/b") == .headBucket)
        #expect(try resolve(.get, "/b?location") == .getBucketLocation)
        #expect(try resolve(.get, "/b") == .listObjects)
        #expect(try resolve(.get, "/b?list-type=2&prefix=x") == .listObjectsV2)
        #expect(try resolve(.get, "/b?uploads") == .listMultipartUploads)
        #expect(try resolve(.post, "/b?delete") == .deleteObjects)
        #expect(try resolve(.put, "/b/k") == .putObject)
        #expect(try resolve(.put, "/b/k", headers: [.amzCopySource: "/s/k"]) == .copyObject)
        #expect(try resolve(.get, "/b/k") == .getObject)
        #expect(try resolve(.head, "/b/k") == .headObject)
        #expect(try resolve(.delete, "/b/k") == .deleteObject)
        #expect(try resolve(.post, "/b/k?uploads") == .createMultipartUpload)
        #expect(try resolve(.put, "/b/k?partNumber=1&uploadId=u") == .uploadPart)
        #expect(try resolve(.put, "/b/k?partNumber=1&uploadId=u", headers: [.amzCopySource: "s/k"]) == .uploadPartCopy)
        #expect(try resolve(.post, "/b/k?uploadId=u") == .completeMultipartUpload)
        #expect(try resolve(.delete, "/b/k?uploadId=u") == .abortMultipartUpload)
        #expect(try resolve(.get, "/b/k?uploadId=u") == .listParts)
        // Presign parameters and response overrides are not subresources.
        #expect(try resolve(.get, "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&response-content-type=text/plain") == .getObject)
    }

    @Test func unsupportedSubresourcesAreNotImplemented() {
        for raw in ["/b?acl", "/b?policy", "/b?versioning", "/b/k?tagging", "/b?cors", "/b?lifecycle", "/b?website", "/b?encryption",
            "/b?object-lock", "/b/k?torrent", "/b/k?select&select-type=2", "/b/k?restore", "/b?versions"]
        {
            for method in [HTTPRequest.Method.get, .put, .post, .delete] {
                do {
                    _ = try resolve(method, raw)
                    Issue.record("\(method) \(raw) resolved")
                } catch {
                    #expect(error.code == "NotImplemented")
                    #expect(error.status == .notImplemented)
                }
            }
        }
    }

    @Test func badMethodsAndCombinations() {
        #expect(throws: S3Error.self) { try resolve(.put, "/") }
        #expect(throws: S3Error.self) { try resolve(.patch, "/b/k") }
        #expect(throws: S3Error.self) { try resolve(.put, "/b/k?uploadId=u") }
        #expect(throws: S3Error.self) { try resolve(.get, "/b?list-type=1") }
        #expect(throws: S3Error.self) { try resolve(.post, "/b/k") }
    }
}
