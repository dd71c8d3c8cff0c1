import Foundation
import Storage
import Testing

/// A store under test and, for a store on the local file system, the directory holding all of its
/// files. The parent of that directory must belong to the test: the key checks place canary files
/// there and verify that nothing outside `directory` changes. Remote stores (S3) pass nil.
struct ObjectStoreSubject: Sendable {
    let store: any ObjectStore
    let directory: URL?

    init(store: any ObjectStore, directory: URL? = nil) {
        self.store = store
        self.directory = directory
    }
}

/// The behaviour every ``ObjectStore`` adapter must show (the local store now; an S3 client for
/// ScaiGrid).
///
/// An adapter's suite runs each of ``checks`` against a fresh, empty store, one test case per check
/// (`@Test(arguments: ObjectStoreConformance.checks)`) or all at once with ``runAll(_:)``.
/// Bucket names are global, so a store must not share buckets with other test cases.
enum ObjectStoreConformance {
    typealias Check = ConformanceCheck<ObjectStoreSubject>

    static let checks: [Check] = [
        Check("buckets are created once") { try await bucketsAreCreatedOnce($0.store) },
        Check("invalid bucket names are refused") { try await invalidBucketNamesAreRefused($0.store) },
        Check("listBuckets shows only the tenant's") { try await listBucketsShowsOnlyOwnBuckets($0.store) },
        Check("bucket lookup checks the owner") { try await bucketLookupChecksOwner($0.store) },
        Check("only empty buckets are deleted") { try await onlyEmptyBucketsAreDeleted($0.store) },
        Check("objects round-trip") { try await objectsRoundTrip($0.store) },
        Check("the ETag is the MD5 of the content") { try await etagIsMD5($0.store) },
        Check("content type and metadata round-trip") { try await attributesRoundTrip($0.store) },
        Check("overwrite replaces content and ETag") { try await overwriteReplaces($0.store) },
        Check("missing objects and deletes") { try await missingObjectsAndDeletes($0.store) },
        Check("another tenant is denied on every call") { try await otherTenantsAreDenied($0.store) },
        Check("staging over its limit stores nothing") { try await stagingOverLimitStoresNothing($0.store) },
        Check("keys are data, never paths") { try await keysAreData($0) },
        Check("invalid keys are refused") { try await invalidKeysAreRefused($0.store) },
        Check("keys of up to 1,024 bytes are stored") { try await longKeysAreStored($0.store) },
        Check("long keys list in byte order") { try await longKeysListInByteOrder($0.store) },
        Check("copy") { try await copyObjects($0.store) },
        Check("listing in byte order, with and without delimiter") { try await listingOrderAndDelimiter($0.store) },
        Check("listing pages cover every entry once") { try await listingPagination($0.store) },
        Check("listing after, prefix and maxKeys") { try await listingAfterPrefixAndMaxKeys($0.store) },
        Check("concurrent writes") { try await concurrentWrites($0.store) },
        Check("multipart upload is completed") { try await multipartUploadCompletes($0.store) },
        Check("multipart parts and uploads are listed") { try await multipartListing($0.store) },
        Check("multipart completion is checked") { try await multipartCompletionIsChecked($0.store) },
        Check("an aborted multipart upload is gone") { try await multipartAbort($0.store) },
        Check("re-uploading a part replaces it") { try await multipartPartReplacement($0.store) },
    ]

    /// Runs every check, each against a store from `makeSubject`.
    static func runAll(_ makeSubject: () async throws -> ObjectStoreSubject) async throws {
        for check in checks { try await check.run(makeSubject()) }
    }

    static let tenant = "tenant-a"
    static let otherTenant = "tenant-b"
    static let bucket = "bucket-a"

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A staging area holding `content`, written in chunks as a streaming body would be.
    static func staged(_ store: any ObjectStore, _ content: [UInt8], limit: Int64? = nil, chunk: Int = 256 << 10) throws -> ObjectStaging {
        let staging = try store.stage(limit: limit ?? Int64(content.count))
        var offset = 0
        while offset < content.count {
            let end = min(offset + chunk, content.count)
            try content[offset..<end].withUnsafeBytes { try staging.write($0) }
            offset = end
        }
        return staging
    }

    static func uploadPart(_ store: any ObjectStore, key: String, uploadID: String, number: Int, _ content: [UInt8],
                           bucket: String = bucket, tenant: String = tenant) async throws -> PartInfo {
        let staging = try staged(store, content)
        do {
            return try await store.uploadPart(bucket: bucket, key: key, tenant: tenant, uploadID: uploadID, partNumber: number, staged: staging)
        } catch {
            staging.discard()
            throw error
        }
    }

    static func isInvalidKey(_ error: ObjectStoreError) -> Bool { if case .invalidKey = error { true } else { false } }
    static func isInvalidBucketName(_ error: ObjectStoreError) -> Bool { if case .invalidBucketName = error { true } else { false } }
    static func isInvalidArgument(_ error: ObjectStoreError) -> Bool { if case .invalidArgument = error { true } else { false } }

    static func isLowerHexMD5(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    // MARK: - Buckets

    static func bucketsAreCreatedOnce(_ store: any ObjectStore) async throws {
        let before = Date().addingTimeInterval(-1)
        let info = try await store.createBucket(bucket, tenant: tenant)
        #expect(info.name == bucket)
        #expect(info.tenant == tenant)
        #expect(info.createdAt >= before && info.createdAt <= Date().addingTimeInterval(1))
        await #expect(throws: ObjectStoreError.bucketAlreadyOwnedByYou(bucket)) { try await store.createBucket(bucket, tenant: tenant) }
        await #expect(throws: ObjectStoreError.bucketAlreadyExists(bucket)) { try await store.createBucket(bucket, tenant: otherTenant) }
        // The refused calls changed nothing.
        #expect(try await store.bucket(bucket, tenant: tenant).tenant == tenant)
        #expect(try await store.listBuckets(tenant: otherTenant).isEmpty)
    }

    static func invalidBucketNamesAreRefused(_ store: any ObjectStore) async throws {
        let invalid = [
            "", "ab", String(repeating: "a", count: 64),  // length
            "MyBucket", "bucket_a", "bucket a", "bücket", "bucket/a",  // characters
            "-bucket", "bucket-", ".bucket", "bucket.",  // first and last character
            "a..b", "bucket..name",  // adjacent periods
            "192.168.1.1", "10.0.0.255",  // IP-like
        ]
        for name in invalid {
            await expectThrows(ObjectStoreError.self, { try await store.createBucket(name, tenant: tenant) }, matching: isInvalidBucketName)
        }
        #expect(try await store.listBuckets(tenant: tenant).isEmpty)
        let valid = ["abc", String(repeating: "b", count: 63), "a.b-c", "my-bucket.2024", "1bucket", "bucket9"]
        for name in valid {
            #expect(try await store.createBucket(name, tenant: tenant).name == name)
        }
        #expect(Set(try await store.listBuckets(tenant: tenant).map(\.name)) == Set(valid))
    }

    static func listBucketsShowsOnlyOwnBuckets(_ store: any ObjectStore) async throws {
        for name in ["alpha-a", "beta-a", "gamma-a"] { _ = try await store.createBucket(name, tenant: tenant) }
        for name in ["alpha-b", "delta-b"] { _ = try await store.createBucket(name, tenant: otherTenant) }
        let own = try await store.listBuckets(tenant: tenant)
        #expect(Set(own.map(\.name)) == ["alpha-a", "beta-a", "gamma-a"])
        #expect(own.count == 3)
        #expect(own.allSatisfy { $0.tenant == tenant })
        #expect(Set(try await store.listBuckets(tenant: otherTenant).map(\.name)) == ["alpha-b", "delta-b"])
        #expect(try await store.listBuckets(tenant: "tenant-c").isEmpty)
    }

    static func bucketLookupChecksOwner(_ store: any ObjectStore) async throws {
        let created = try await store.createBucket(bucket, tenant: tenant)
        let found = try await store.bucket(bucket, tenant: tenant)
        #expect(found.name == created.name)
        #expect(found.tenant == tenant)
        #expect(abs(found.createdAt.timeIntervalSince(created.createdAt)) < 1)
        await #expect(throws: ObjectStoreError.accessDenied) { try await store.bucket(bucket, tenant: otherTenant) }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) { try await store.bucket("no-such-bucket", tenant: tenant) }
    }

    static func onlyEmptyBucketsAreDeleted(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        try await store.putObject(bucket: bucket, key: "file", tenant: tenant, bytes: bytes("content"))
        await #expect(throws: ObjectStoreError.bucketNotEmpty(bucket)) { try await store.deleteBucket(bucket, tenant: tenant) }
        await #expect(throws: ObjectStoreError.accessDenied) { try await store.deleteBucket(bucket, tenant: otherTenant) }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) { try await store.deleteBucket("no-such-bucket", tenant: tenant) }
        #expect(try await store.readObject(bucket: bucket, key: "file", tenant: tenant) == bytes("content"))

        #expect(try await store.deleteObject(bucket: bucket, key: "file", tenant: tenant))
        try await store.deleteBucket(bucket, tenant: tenant)
        await #expect(throws: ObjectStoreError.noSuchBucket(bucket)) { try await store.bucket(bucket, tenant: tenant) }
        #expect(try await store.listBuckets(tenant: tenant).isEmpty)
        await #expect(throws: ObjectStoreError.noSuchBucket(bucket)) { try await store.deleteBucket(bucket, tenant: tenant) }
        await #expect(throws: ObjectStoreError.noSuchBucket(bucket)) {
            try await store.putObject(bucket: bucket, key: "file", tenant: tenant, bytes: bytes("again"))
        }
        // The name is free again, for anyone, and the new bucket starts empty.
        _ = try await store.createBucket(bucket, tenant: otherTenant)
        let listing = try await store.listObjects(bucket: bucket, tenant: otherTenant, prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(listing.objects.isEmpty)
    }

    // MARK: - Objects

    static func objectsRoundTrip(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let contents: [(String, [UInt8])] = [
            ("empty", []),
            ("one", [0x7F]),
            ("large", randomBytes(3 << 20)),
        ]
        for (key, content) in contents {
            // Through the one-call helper...
            let put = try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: content)
            #expect(put.bucket == bucket)
            #expect(put.key == key)
            #expect(put.size == Int64(content.count))
            #expect(put.partCount == nil)
            #expect(try await store.readObject(bucket: bucket, key: key, tenant: tenant) == content, "\(key)")
            let head = try await store.headObject(bucket: bucket, key: key, tenant: tenant)
            #expect(head.size == Int64(content.count))
            #expect(head.etag == put.etag)
            #expect(head.key == key)
            let got = try await store.getObject(bucket: bucket, key: key, tenant: tenant)
            #expect(got.info.size == Int64(content.count))
            #expect(got.info.etag == put.etag)

            // ...and through stage, write in chunks, publish.
            let streamedKey = key + "-streamed"
            let staging = try staged(store, content, chunk: 100_000)
            #expect(staging.size == Int64(content.count))
            let streamed = try await store.putObject(bucket: bucket, key: streamedKey, tenant: tenant, staged: staging, attributes: ObjectAttributes())
            #expect(streamed.size == Int64(content.count))
            #expect(streamed.etag == put.etag)
            #expect(try await store.readObject(bucket: bucket, key: streamedKey, tenant: tenant) == content, "\(streamedKey)")
        }
        // A staging area with room to spare stores what was written.
        let roomy = try staged(store, bytes("short"), limit: 1 << 20)
        let info = try await store.putObject(bucket: bucket, key: "roomy", tenant: tenant, staged: roomy, attributes: ObjectAttributes())
        #expect(info.size == 5)
        #expect(try await store.readObject(bucket: bucket, key: "roomy", tenant: tenant) == bytes("short"))
    }

    static func etagIsMD5(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let vectors = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"),
        ]
        for (index, (text, md5)) in vectors.enumerated() {
            let info = try await store.putObject(bucket: bucket, key: "vector-\(index)", tenant: tenant, bytes: bytes(text))
            #expect(info.etag == md5, "MD5 of \(text.debugDescription)")
            #expect(try await store.headObject(bucket: bucket, key: "vector-\(index)", tenant: tenant).etag == md5)
            // Written a few bytes at a time, the digest is the same.
            let staging = try staged(store, bytes(text), chunk: 3)
            let streamed = try await store.putObject(bucket: bucket, key: "streamed-\(index)", tenant: tenant, staged: staging, attributes: ObjectAttributes())
            #expect(streamed.etag == md5)
        }
        let random = try await store.putObject(bucket: bucket, key: "random", tenant: tenant, bytes: randomBytes(10_000))
        #expect(isLowerHexMD5(random.etag))
    }

    static func attributesRoundTrip(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let attributes = ObjectAttributes(contentType: "application/json; charset=utf-8",
                                          metadata: ["owner": "core-1", "purpose": "checkpoint state", "unicode": "ünï ✓"])
        let put = try await store.putObject(bucket: bucket, key: "state.json", tenant: tenant, bytes: bytes("{}"), attributes: attributes)
        #expect(put.contentType == attributes.contentType)
        #expect(put.metadata == attributes.metadata)
        let head = try await store.headObject(bucket: bucket, key: "state.json", tenant: tenant)
        #expect(head.contentType == attributes.contentType)
        #expect(head.metadata == attributes.metadata)
        let got = try await store.getObject(bucket: bucket, key: "state.json", tenant: tenant)
        #expect(got.info.contentType == attributes.contentType)
        #expect(got.info.metadata == attributes.metadata)
        let listed = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(listed.objects.first?.etag == put.etag)
        #expect(listed.objects.first?.size == 2)

        // Without attributes there is no content type and no metadata.
        try await store.putObject(bucket: bucket, key: "plain", tenant: tenant, bytes: bytes("x"))
        let plain = try await store.headObject(bucket: bucket, key: "plain", tenant: tenant)
        #expect(plain.contentType == nil)
        #expect(plain.metadata.isEmpty)
        // lastModified is the time of the write.
        #expect(abs(plain.lastModified.timeIntervalSinceNow) < 60)
    }

    static func overwriteReplaces(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let first = try await store.putObject(bucket: bucket, key: "k", tenant: tenant, bytes: randomBytes(50_000),
                                              attributes: ObjectAttributes(contentType: "text/plain", metadata: ["v": "1"]))
        let second = try await store.putObject(bucket: bucket, key: "k", tenant: tenant, bytes: bytes("abc"),
                                               attributes: ObjectAttributes(metadata: ["w": "2"]))
        #expect(second.etag == "900150983cd24fb0d6963f7d28e17f72")
        #expect(second.etag != first.etag)
        #expect(try await store.readObject(bucket: bucket, key: "k", tenant: tenant) == bytes("abc"))
        let head = try await store.headObject(bucket: bucket, key: "k", tenant: tenant)
        #expect(head.size == 3)
        #expect(head.etag == second.etag)
        // Attributes are replaced as a whole, not merged.
        #expect(head.contentType == nil)
        #expect(head.metadata == ["w": "2"])
        let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(listing.objects.map(\.key) == ["k"])
        #expect(listing.objects.first?.etag == second.etag)
    }

    static func missingObjectsAndDeletes(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        await #expect(throws: ObjectStoreError.noSuchKey("missing")) { try await store.headObject(bucket: bucket, key: "missing", tenant: tenant) }
        await #expect(throws: ObjectStoreError.noSuchKey("missing")) { try await store.getObject(bucket: bucket, key: "missing", tenant: tenant) }
        await #expect(throws: ObjectStoreError.noSuchKey("missing")) { try await store.readObject(bucket: bucket, key: "missing", tenant: tenant) }
        #expect(try await store.deleteObject(bucket: bucket, key: "missing", tenant: tenant) == false)
        // A missing bucket is not a missing key.
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) { try await store.headObject(bucket: "no-such-bucket", key: "k", tenant: tenant) }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) { try await store.getObject(bucket: "no-such-bucket", key: "k", tenant: tenant) }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) { try await store.deleteObject(bucket: "no-such-bucket", key: "k", tenant: tenant) }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) {
            try await store.listObjects(bucket: "no-such-bucket", tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        }

        try await store.putObject(bucket: bucket, key: "doomed", tenant: tenant, bytes: bytes("bye"))
        try await store.putObject(bucket: bucket, key: "doomed-not", tenant: tenant, bytes: bytes("stay"))
        #expect(try await store.deleteObject(bucket: bucket, key: "doomed", tenant: tenant) == true)
        #expect(try await store.deleteObject(bucket: bucket, key: "doomed", tenant: tenant) == false)
        await #expect(throws: ObjectStoreError.noSuchKey("doomed")) { try await store.headObject(bucket: bucket, key: "doomed", tenant: tenant) }
        await #expect(throws: ObjectStoreError.noSuchKey("doomed")) { try await store.readObject(bucket: bucket, key: "doomed", tenant: tenant) }
        #expect(try await store.readObject(bucket: bucket, key: "doomed-not", tenant: tenant) == bytes("stay"))
        let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(listing.objects.map(\.key) == ["doomed-not"])
        // A deleted key can be written again.
        try await store.putObject(bucket: bucket, key: "doomed", tenant: tenant, bytes: bytes("back"))
        #expect(try await store.readObject(bucket: bucket, key: "doomed", tenant: tenant) == bytes("back"))
    }

    static func otherTenantsAreDenied(_ store: any ObjectStore) async throws {
        let own = "bucket-b"
        _ = try await store.createBucket(bucket, tenant: tenant)
        _ = try await store.createBucket(own, tenant: otherTenant)
        let original = try await store.putObject(bucket: bucket, key: "k", tenant: tenant, bytes: bytes("secret"),
                                                 attributes: ObjectAttributes(metadata: ["m": "1"]))
        try await store.putObject(bucket: own, key: "theirs", tenant: otherTenant, bytes: bytes("theirs"))
        let upload = try await store.createMultipartUpload(bucket: bucket, key: "big", tenant: tenant, attributes: ObjectAttributes())
        let part = try await uploadPart(store, key: "big", uploadID: upload.uploadID, number: 1, bytes("part"))
        let denied = ObjectStoreError.accessDenied
        let intruder = otherTenant

        await #expect(throws: denied) { try await store.bucket(bucket, tenant: intruder) }
        await #expect(throws: denied) { try await store.deleteBucket(bucket, tenant: intruder) }
        await #expect(throws: denied) { try await store.putObject(bucket: bucket, key: "k", tenant: intruder, bytes: bytes("overwritten")) }
        await #expect(throws: denied) { try await store.putObject(bucket: bucket, key: "new", tenant: intruder, bytes: bytes("planted")) }
        let staging = try staged(store, bytes("streamed"))
        await #expect(throws: denied) {
            try await store.putObject(bucket: bucket, key: "new", tenant: intruder, staged: staging, attributes: ObjectAttributes())
        }
        staging.discard()
        await #expect(throws: denied) { try await store.getObject(bucket: bucket, key: "k", tenant: intruder) }
        await #expect(throws: denied) { try await store.headObject(bucket: bucket, key: "k", tenant: intruder) }
        await #expect(throws: denied) { try await store.getObject(bucket: bucket, key: "missing", tenant: intruder) }
        await #expect(throws: denied) { try await store.deleteObject(bucket: bucket, key: "k", tenant: intruder) }
        await #expect(throws: denied) { try await store.deleteObject(bucket: bucket, key: "missing", tenant: intruder) }
        await #expect(throws: denied) {
            try await store.listObjects(bucket: bucket, tenant: intruder, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        }
        // Copy out of, and into, a bucket the caller does not own.
        await #expect(throws: denied) {
            try await store.copyObject(fromBucket: bucket, fromKey: "k", toBucket: own, toKey: "stolen", tenant: intruder, attributes: nil)
        }
        await #expect(throws: denied) {
            try await store.copyObject(fromBucket: own, fromKey: "theirs", toBucket: bucket, toKey: "planted", tenant: intruder, attributes: nil)
        }
        await #expect(throws: denied) {
            try await store.copyObject(fromBucket: own, fromKey: "theirs", toBucket: bucket, toKey: "k", tenant: intruder, attributes: nil)
        }
        // Multipart.
        await #expect(throws: denied) {
            try await store.createMultipartUpload(bucket: bucket, key: "mp", tenant: intruder, attributes: ObjectAttributes())
        }
        await #expect(throws: denied) { try await uploadPart(store, key: "big", uploadID: upload.uploadID, number: 2, bytes("evil"), tenant: intruder) }
        await #expect(throws: denied) { try await uploadPart(store, key: "big", uploadID: upload.uploadID, number: 1, bytes("evil"), tenant: intruder) }
        await #expect(throws: denied) {
            try await store.listParts(bucket: bucket, key: "big", tenant: intruder, uploadID: upload.uploadID, after: 0, maxParts: 10)
        }
        await #expect(throws: denied) { try await store.listMultipartUploads(bucket: bucket, tenant: intruder, prefix: "", maxUploads: 10) }
        await #expect(throws: denied) {
            try await store.completeMultipartUpload(bucket: bucket, key: "big", tenant: intruder, uploadID: upload.uploadID,
                                                    parts: [CompletedPart(number: 1, etag: part.etag)])
        }
        await #expect(throws: denied) { try await store.abortMultipartUpload(bucket: bucket, key: "big", tenant: intruder, uploadID: upload.uploadID) }

        // Nothing changed for the owner.
        #expect(try await store.readObject(bucket: bucket, key: "k", tenant: tenant) == bytes("secret"))
        #expect(try await store.headObject(bucket: bucket, key: "k", tenant: tenant).etag == original.etag)
        let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(listing.objects.map(\.key) == ["k"])
        let parts = try await store.listParts(bucket: bucket, key: "big", tenant: tenant, uploadID: upload.uploadID, after: 0, maxParts: 10)
        #expect(parts.parts.map(\.number) == [1])
        #expect(parts.parts.first?.etag == part.etag)
        #expect(try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "", maxUploads: 10).map(\.uploadID) == [upload.uploadID])
        let theirs = try await store.listObjects(bucket: own, tenant: otherTenant, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(theirs.objects.map(\.key) == ["theirs"])
    }

    static func stagingOverLimitStoresNothing(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let staging = try store.stage(limit: 4)
        try bytes("abc").withUnsafeBytes { try staging.write($0) }
        #expect(throws: ObjectStoreError.entityTooLarge(limit: 4)) { try bytes("de").withUnsafeBytes { try staging.write($0) } }
        #expect(staging.size == 3)
        staging.discard()
        await #expect(throws: ObjectStoreError.noSuchKey("k")) { try await store.headObject(bucket: bucket, key: "k", tenant: tenant) }

        // A single write larger than the whole limit, and a zero limit.
        let small = try store.stage(limit: 10)
        #expect(throws: ObjectStoreError.entityTooLarge(limit: 10)) { try randomBytes(11).withUnsafeBytes { try small.write($0) } }
        #expect(small.size == 0)
        small.discard()
        let zero = try store.stage(limit: 0)
        try [UInt8]().withUnsafeBytes { try zero.write($0) }
        #expect(throws: ObjectStoreError.entityTooLarge(limit: 0)) { try [1].withUnsafeBytes { try zero.write($0) } }
        zero.discard()

        let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(listing.objects.isEmpty)
        // Exactly the limit is fine.
        let exact = try staged(store, bytes("abcd"), limit: 4)
        let info = try await store.putObject(bucket: bucket, key: "k", tenant: tenant, staged: exact, attributes: ObjectAttributes())
        #expect(info.size == 4)
        #expect(try await store.readObject(bucket: bucket, key: "k", tenant: tenant) == bytes("abcd"))
    }

    /// Keys that a store deriving file names from keys would turn into other paths.
    static let hostileKeys: [String] = [
        "../../etc/passwd", "../../../../../../etc/passwd", "/abs", "/etc/shadow", "a/../b", "b", "./b", "a//b", ".", "..", "...",
        "~/.ssh/id_rsa", "C:\\windows\\system32", "%2F", "a%2Fb", "%2e%2e%2fescape", "with spaces ", " leading",
        "tab\there", "line\nbreak", "trailing/", "/", "//", "ünïcödé/ファイル 🚀", "é", "e\u{301}", "\u{FEFF}bom", "\u{7F}del",
    ]

    static func keysAreData(_ subject: ObjectStoreSubject) async throws {
        let store = subject.store
        _ = try await store.createBucket(bucket, tenant: tenant)
        // Canaries where a path-joining store would write, and a snapshot of everything outside
        // the store's directory.
        let outside = subject.directory?.deletingLastPathComponent()
        if let outside {
            let files = FileManager.default
            try files.createDirectory(at: outside.appendingPathComponent("etc"), withIntermediateDirectories: true)
            try Data("canary".utf8).write(to: outside.appendingPathComponent("etc/passwd"))
            try Data("canary".utf8).write(to: outside.appendingPathComponent("abs"))
            try Data("canary".utf8).write(to: outside.appendingPathComponent("b"))
        }
        let before = try outside.map { try snapshot($0, excluding: subject.directory) }

        for (index, key) in hostileKeys.enumerated() {
            let info = try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: bytes("content #\(index)"))
            #expect(utf8(info.key) == utf8(key), "key \(key.debugDescription) came back as \(info.key.debugDescription)")
        }
        for (index, key) in hostileKeys.enumerated() {
            #expect(try await store.readObject(bucket: bucket, key: key, tenant: tenant) == bytes("content #\(index)"), "key \(key.debugDescription)")
            #expect(utf8(try await store.headObject(bucket: bucket, key: key, tenant: tenant).key) == utf8(key))
        }
        // Every key is listed exactly once, byte for byte (canonically equivalent keys are distinct).
        var listed: [[UInt8]] = []
        var after: String?
        repeat {
            let page = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: after, maxKeys: 7)
            listed += page.objects.map { utf8($0.key) }
            after = page.isTruncated ? page.nextAfter : nil
        } while after != nil
        #expect(listed == byteOrdered(hostileKeys).map(utf8))

        if let outside, let directory = subject.directory {
            let after = try snapshot(outside, excluding: directory)
            #expect(after == before, "files outside the store's directory changed")
            // Inside, no file or directory is named after a key.
            let markers = ["passwd", "shadow", "id_rsa", "system32", "windows", "%2", "escape", "spaces", "leading", "\t", "\n",
                           "trailing", "ファイル", "\u{FEFF}", "\u{7F}"]
            let names = try FileManager.default.subpathsOfDirectory(atPath: directory.path).map { URL(fileURLWithPath: $0).lastPathComponent }
            for name in names {
                let hit = markers.first { name.contains($0) }
                #expect(hit == nil, "a file in the store is named \(name)")
            }
        }

        // Deleting by these keys deletes exactly them.
        for key in hostileKeys {
            #expect(try await store.deleteObject(bucket: bucket, key: key, tenant: tenant), "key \(key.debugDescription)")
        }
        let rest = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(rest.objects.isEmpty)
    }

    /// Relative path → contents (directories map to nil) of everything under `root`, except `excluded`.
    static func snapshot(_ root: URL, excluding excluded: URL?) throws -> [String: Data?] {
        let files = FileManager.default
        let excludedPath = excluded.map { $0.standardizedFileURL.path }
        var result: [String: Data?] = [:]
        for relative in try files.subpathsOfDirectory(atPath: root.path) {
            let full = root.appendingPathComponent(relative).standardizedFileURL.path
            if let excludedPath, full == excludedPath || full.hasPrefix(excludedPath + "/") { continue }
            var isDirectory: ObjCBool = false
            _ = files.fileExists(atPath: full, isDirectory: &isDirectory)
            let contents: Data? = isDirectory.boolValue ? nil : files.contents(atPath: full)
            result[relative] = .some(contents)
        }
        return result
    }

    static func invalidKeysAreRefused(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        try await store.putObject(bucket: bucket, key: "valid", tenant: tenant, bytes: bytes("v"))
        let tooLong = String(repeating: "k", count: 1025)
        for key in ["", "nul\u{0}inside", "\u{0}", tooLong] {
            await expectThrows(ObjectStoreError.self, { try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: bytes("x")) },
                               matching: isInvalidKey)
            let staging = try staged(store, bytes("x"))
            await expectThrows(ObjectStoreError.self, {
                try await store.putObject(bucket: bucket, key: key, tenant: tenant, staged: staging, attributes: ObjectAttributes())
            }, matching: isInvalidKey)
            staging.discard()
            await expectThrows(ObjectStoreError.self, { try await store.getObject(bucket: bucket, key: key, tenant: tenant) }, matching: isInvalidKey)
            await expectThrows(ObjectStoreError.self, { try await store.headObject(bucket: bucket, key: key, tenant: tenant) }, matching: isInvalidKey)
            await expectThrows(ObjectStoreError.self, { try await store.deleteObject(bucket: bucket, key: key, tenant: tenant) }, matching: isInvalidKey)
            await expectThrows(ObjectStoreError.self, {
                try await store.copyObject(fromBucket: bucket, fromKey: "valid", toBucket: bucket, toKey: key, tenant: tenant, attributes: nil)
            }, matching: isInvalidKey)
            await expectThrows(ObjectStoreError.self, {
                try await store.copyObject(fromBucket: bucket, fromKey: key, toBucket: bucket, toKey: "copy", tenant: tenant, attributes: nil)
            }, matching: isInvalidKey)
            await expectThrows(ObjectStoreError.self, {
                try await store.createMultipartUpload(bucket: bucket, key: key, tenant: tenant, attributes: ObjectAttributes())
            }, matching: isInvalidKey)
        }
        let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(listing.objects.map(\.key) == ["valid"])
        #expect(try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "", maxUploads: 10).isEmpty)
    }

    static func longKeysAreStored(_ store: any ObjectStore) async throws {
        // The longest bucket name too: a store that keys its index by bucket and key must have
        // room for both.
        let bucket = String(repeating: "b", count: 63)
        _ = try await store.createBucket(bucket, tenant: tenant)
        for length in [256, 512, 1000, ObjectNames.maxKeyBytes] {
            let key = "\(length)/" + String(repeating: "k", count: length - "\(length)/".utf8.count)
            let other = "\(length)-copy/" + String(repeating: "c", count: length - "\(length)-copy/".utf8.count)
            #expect(key.utf8.count == length)
            do {
                try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: bytes("long \(length)"))
                #expect(try await store.readObject(bucket: bucket, key: key, tenant: tenant) == bytes("long \(length)"))
                #expect(try await store.headObject(bucket: bucket, key: key, tenant: tenant).key == key)
                let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: key, delimiter: nil, after: nil, maxKeys: 10)
                #expect(listing.objects.map(\.key) == [key])
                _ = try await store.copyObject(fromBucket: bucket, fromKey: key, toBucket: bucket, toKey: other, tenant: tenant, attributes: nil)
                #expect(try await store.readObject(bucket: bucket, key: other, tenant: tenant) == bytes("long \(length)"))
                #expect(try await store.deleteObject(bucket: bucket, key: key, tenant: tenant))
                #expect(try await store.deleteObject(bucket: bucket, key: other, tenant: tenant))
            } catch {
                Issue.record("an object with a key of \(length) bytes: \(error)")
            }
            do {
                let upload = try await store.createMultipartUpload(bucket: bucket, key: key, tenant: tenant, attributes: ObjectAttributes())
                let part = try await uploadPart(store, key: key, uploadID: upload.uploadID, number: 1, bytes("part"), bucket: bucket)
                let uploads = try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: key, maxUploads: 10)
                #expect(uploads.map(\.key) == [key])
                _ = try await store.completeMultipartUpload(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID,
                                                            parts: [CompletedPart(number: 1, etag: part.etag)])
                #expect(try await store.readObject(bucket: bucket, key: key, tenant: tenant) == bytes("part"))
                #expect(try await store.deleteObject(bucket: bucket, key: key, tenant: tenant))
            } catch {
                Issue.record("a multipart upload with a key of \(length) bytes: \(error)")
            }
        }
        await expectThrows(ObjectStoreError.self, {
            try await store.putObject(bucket: bucket, key: String(repeating: "k", count: ObjectNames.maxKeyBytes + 1), tenant: tenant, bytes: [])
        }, matching: isInvalidKey)
    }

    static func longKeysListInByteOrder(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        // Keys that share long prefixes and differ only far in (an index may truncate or hash
        // long keys; listings must not show it).
        let base = String(repeating: "p", count: 390)
        let keys = [
            "p", String(repeating: "p", count: 384), String(repeating: "p", count: 385), base,
            base + "z", base + "a", base + "m/2", base + "m/1", base + "m/3/deep", base + "b", base + "é", base + "e\u{301}",
            base + String(repeating: "q", count: 600), String(repeating: "p", count: 389) + "q", "q",
        ]
        for (index, key) in keys.enumerated() {
            try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: bytes("#\(index)"))
        }
        for (index, key) in keys.enumerated() {
            #expect(try await store.readObject(bucket: bucket, key: key, tenant: tenant) == bytes("#\(index)"), "key of \(key.utf8.count) bytes")
        }
        let ordered = byteOrdered(keys)
        #expect(try await list(store).objects.map { utf8($0.key) } == ordered.map(utf8))
        for size in [1, 2, 5] {
            let paged = try await allPages(store, maxKeys: size)
            #expect(paged.entries.map(utf8) == ordered.map(utf8), "pages of \(size)")
        }
        // after, prefix and delimiter far inside the keys.
        let afterB = try await list(store, after: base + "b")
        #expect(afterB.objects.map { utf8($0.key) } == ordered.filter { (base + "b").utf8.lexicographicallyPrecedes($0.utf8) }.map(utf8))
        #expect(try await list(store, prefix: base + "m").objects.map(\.key) == [base + "m/1", base + "m/2", base + "m/3/deep"])
        let rolled = try await list(store, prefix: base, delimiter: "/")
        #expect(rolled.commonPrefixes == [base + "m/"])
        #expect(rolled.objects.map { utf8($0.key) } == ordered.filter { $0.hasPrefix(base) && !$0.hasPrefix(base + "m/") }.map(utf8))
        let deeper = try await list(store, prefix: base + "m/", delimiter: "/")
        #expect(deeper.objects.map(\.key) == [base + "m/1", base + "m/2"])
        #expect(deeper.commonPrefixes == [base + "m/3/"])
        let rolledPages = try await allPages(store, prefix: base, delimiter: "/", maxKeys: 1)
        #expect(rolledPages.entries.map(utf8) == byteOrdered(rolled.objects.map(\.key) + rolled.commonPrefixes).map(utf8))
        let skipped = try await list(store, prefix: base, delimiter: "/", after: base + "m/")
        #expect(entries(skipped).map(utf8) == ordered.filter { $0.hasPrefix(base) && (base + "m/").utf8.lexicographicallyPrecedes($0.utf8) && !$0.hasPrefix(base + "m/") }.map(utf8))
    }

    // MARK: - Copy

    static func copyObjects(_ store: any ObjectStore) async throws {
        let otherBucket = "bucket-a2"
        _ = try await store.createBucket(bucket, tenant: tenant)
        _ = try await store.createBucket(otherBucket, tenant: tenant)
        let content = randomBytes(200_000)
        let kept = ObjectAttributes(contentType: "text/plain", metadata: ["origin": "source"])
        let source = try await store.putObject(bucket: bucket, key: "source", tenant: tenant, bytes: content, attributes: kept)

        // Same bucket, attributes kept.
        let sameBucket = try await store.copyObject(fromBucket: bucket, fromKey: "source", toBucket: bucket, toKey: "copy-same",
                                                    tenant: tenant, attributes: nil)
        #expect(sameBucket.bucket == bucket)
        #expect(sameBucket.key == "copy-same")
        #expect(sameBucket.etag == source.etag)
        #expect(sameBucket.size == source.size)
        #expect(sameBucket.contentType == "text/plain")
        #expect(sameBucket.metadata == ["origin": "source"])
        let sameHead = try await store.headObject(bucket: bucket, key: "copy-same", tenant: tenant)
        #expect(sameHead.contentType == "text/plain")
        #expect(sameHead.metadata == ["origin": "source"])
        #expect(sameHead.etag == source.etag)

        // Other bucket, attributes replaced (S3's REPLACE directive).
        let replaced = ObjectAttributes(contentType: "application/octet-stream", metadata: ["origin": "copy", "extra": "1"])
        let otherCopy = try await store.copyObject(fromBucket: bucket, fromKey: "source", toBucket: otherBucket, toKey: "dir/copy-other",
                                                   tenant: tenant, attributes: replaced)
        #expect(otherCopy.bucket == otherBucket)
        #expect(otherCopy.etag == source.etag)
        let otherHead = try await store.headObject(bucket: otherBucket, key: "dir/copy-other", tenant: tenant)
        #expect(otherHead.contentType == "application/octet-stream")
        #expect(otherHead.metadata == ["origin": "copy", "extra": "1"])
        #expect(otherHead.size == Int64(content.count))
        // The source keeps its own attributes.
        #expect(try await store.headObject(bucket: bucket, key: "source", tenant: tenant).metadata == ["origin": "source"])

        // Copies are independent of the source: overwrite it, then delete it.
        try await store.putObject(bucket: bucket, key: "source", tenant: tenant, bytes: bytes("changed"))
        #expect(try await store.readObject(bucket: bucket, key: "copy-same", tenant: tenant) == content)
        #expect(try await store.deleteObject(bucket: bucket, key: "source", tenant: tenant))
        #expect(try await store.readObject(bucket: bucket, key: "copy-same", tenant: tenant) == content)
        #expect(try await store.readObject(bucket: otherBucket, key: "dir/copy-other", tenant: tenant) == content)
        // And the source is independent of its copies.
        try await store.putObject(bucket: bucket, key: "source", tenant: tenant, bytes: bytes("new source"))
        _ = try await store.copyObject(fromBucket: bucket, fromKey: "source", toBucket: bucket, toKey: "copy-2", tenant: tenant, attributes: nil)
        #expect(try await store.deleteObject(bucket: bucket, key: "copy-2", tenant: tenant))
        #expect(try await store.readObject(bucket: bucket, key: "source", tenant: tenant) == bytes("new source"))

        // A copy onto itself with new attributes keeps the content (S3's way to change metadata).
        let selfCopy = try await store.copyObject(fromBucket: bucket, fromKey: "copy-same", toBucket: bucket, toKey: "copy-same",
                                                  tenant: tenant, attributes: ObjectAttributes(contentType: "image/png", metadata: ["v": "2"]))
        #expect(selfCopy.etag == source.etag)
        #expect(try await store.readObject(bucket: bucket, key: "copy-same", tenant: tenant) == content)
        let selfHead = try await store.headObject(bucket: bucket, key: "copy-same", tenant: tenant)
        #expect(selfHead.contentType == "image/png")
        #expect(selfHead.metadata == ["v": "2"])

        // Copy onto an existing key replaces it.
        try await store.putObject(bucket: bucket, key: "target", tenant: tenant, bytes: bytes("old target"))
        _ = try await store.copyObject(fromBucket: bucket, fromKey: "source", toBucket: bucket, toKey: "target", tenant: tenant, attributes: nil)
        #expect(try await store.readObject(bucket: bucket, key: "target", tenant: tenant) == bytes("new source"))

        // Missing sources and destinations.
        await #expect(throws: ObjectStoreError.noSuchKey("missing")) {
            try await store.copyObject(fromBucket: bucket, fromKey: "missing", toBucket: bucket, toKey: "x", tenant: tenant, attributes: nil)
        }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) {
            try await store.copyObject(fromBucket: "no-such-bucket", fromKey: "source", toBucket: bucket, toKey: "x", tenant: tenant, attributes: nil)
        }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) {
            try await store.copyObject(fromBucket: bucket, fromKey: "source", toBucket: "no-such-bucket", toKey: "x", tenant: tenant, attributes: nil)
        }
        await #expect(throws: ObjectStoreError.noSuchKey("x")) { try await store.headObject(bucket: bucket, key: "x", tenant: tenant) }
        let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(listing.objects.map(\.key) == ["copy-same", "source", "target"])
    }

    // MARK: - Listing

    /// 20 keys in three "directories" plus 5 at the top.
    static let listingKeys: [String] = (0..<20).map { "dir\($0 % 3)/f" + String(format: "%02d", $0) } + (0..<5).map { "top\($0)" }

    static func fillListingBucket(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        for key in listingKeys.shuffled() {
            try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: bytes("content of " + key))
        }
    }

    static func list(_ store: any ObjectStore, prefix: String = "", delimiter: String? = nil, after: String? = nil,
                     maxKeys: Int = 1000) async throws -> ObjectListing {
        try await store.listObjects(bucket: bucket, tenant: tenant, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
    }

    /// The entries of a page, objects and common prefixes together, in byte order.
    static func entries(_ listing: ObjectListing) -> [String] {
        byteOrdered(listing.objects.map(\.key) + listing.commonPrefixes)
    }

    /// Every entry of a listing, following `nextAfter` page by page; checks each page's shape.
    static func allPages(_ store: any ObjectStore, prefix: String = "", delimiter: String? = nil, maxKeys: Int,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws -> (entries: [String], pages: Int) {
        var all: [String] = []
        var after: String?
        var pages = 0
        while pages < 100 {
            let page = try await list(store, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
            pages += 1
            let onPage = entries(page)
            #expect(onPage.count <= maxKeys, sourceLocation: sourceLocation)
            all += onPage
            guard page.isTruncated else { break }
            #expect(onPage.count == maxKeys, "a truncated page is not full", sourceLocation: sourceLocation)
            let next = try #require(page.nextAfter, "a truncated page without nextAfter", sourceLocation: sourceLocation)
            #expect(next == onPage.last, "nextAfter is not the page's last entry", sourceLocation: sourceLocation)
            after = next
        }
        return (all, pages)
    }

    static func listingOrderAndDelimiter(_ store: any ObjectStore) async throws {
        try await fillListingBucket(store)
        let all = try await list(store)
        #expect(all.objects.map(\.key) == byteOrdered(listingKeys))
        #expect(all.commonPrefixes.isEmpty)
        #expect(all.isTruncated == false)
        for object in all.objects {
            #expect(object.size == Int64(("content of " + object.key).utf8.count))
            #expect(isLowerHexMD5(object.etag))
        }

        let rolled = try await list(store, delimiter: "/")
        #expect(rolled.objects.map(\.key) == ["top0", "top1", "top2", "top3", "top4"])
        #expect(rolled.commonPrefixes == ["dir0/", "dir1/", "dir2/"])
        #expect(rolled.isTruncated == false)

        // A delimiter that no key contains rolls nothing up; a longer one rolls up where it occurs.
        let none = try await list(store, delimiter: "|")
        #expect(none.objects.count == listingKeys.count)
        #expect(none.commonPrefixes.isEmpty)
        let long = try await list(store, delimiter: "/f1")
        #expect(long.commonPrefixes == ["dir0/f1", "dir1/f1", "dir2/f1"])
        #expect(byteOrdered(long.objects.map(\.key)) == byteOrdered(listingKeys.filter { !$0.contains("/f1") }))
    }

    static func listingPagination(_ store: any ObjectStore) async throws {
        try await fillListingBucket(store)
        let flat = try await allPages(store, maxKeys: 4)
        #expect(flat.entries == byteOrdered(listingKeys))
        #expect(flat.pages == 7)

        let rolledExpectation = ["dir0/", "dir1/", "dir2/", "top0", "top1", "top2", "top3", "top4"]
        let rolled = try await allPages(store, delimiter: "/", maxKeys: 4)
        #expect(rolled.entries == rolledExpectation)
        #expect(rolled.pages == 2)
        // Page boundaries falling on common prefixes.
        for size in [1, 2, 3] {
            let small = try await allPages(store, delimiter: "/", maxKeys: size)
            #expect(small.entries == rolledExpectation, "pages of \(size)")
        }
        // Within a prefix, with and without delimiter.
        let dir1 = listingKeys.filter { $0.hasPrefix("dir1/") }
        #expect(try await allPages(store, prefix: "dir1/", maxKeys: 2).entries == byteOrdered(dir1))
        #expect(try await allPages(store, prefix: "dir1/", delimiter: "/", maxKeys: 3).entries == byteOrdered(dir1))
        #expect(try await allPages(store, prefix: "d", delimiter: "/", maxKeys: 1).entries == ["dir0/", "dir1/", "dir2/"])
    }

    static func listingAfterPrefixAndMaxKeys(_ store: any ObjectStore) async throws {
        try await fillListingBucket(store)
        let sorted = byteOrdered(listingKeys)

        // `after` is exclusive, whether or not it is a stored key.
        #expect(try await list(store, after: "dir2/f14").objects.map(\.key) == Array(sorted.drop { $0 != "dir2/f14" }.dropFirst()))
        #expect(try await list(store, after: "dir2/f15").objects.map(\.key) == sorted.filter { $0.utf8.lexicographicallyPrecedes("dir2/f15".utf8) == false })
        #expect(try await list(store, after: "top4").objects.isEmpty)
        #expect(try await list(store, after: "zzz").objects.isEmpty)
        // Without a delimiter a common-prefix-shaped `after` is just a key: everything below it follows.
        #expect(try await list(store, after: "dir0/").objects.map(\.key) == sorted)
        // With the delimiter, `after` equal to a common prefix skips that whole group.
        let skipped = try await list(store, delimiter: "/", after: "dir0/")
        #expect(entries(skipped) == ["dir1/", "dir2/", "top0", "top1", "top2", "top3", "top4"])
        let skippedTwo = try await list(store, delimiter: "/", after: "dir1/")
        #expect(entries(skippedTwo) == ["dir2/", "top0", "top1", "top2", "top3", "top4"])
        #expect(entries(try await list(store, delimiter: "/", after: "dir2/")) == ["top0", "top1", "top2", "top3", "top4"])

        // Prefix filtering.
        #expect(try await list(store, prefix: "dir1/").objects.map(\.key) == byteOrdered(listingKeys.filter { $0.hasPrefix("dir1/") }))
        #expect(try await list(store, prefix: "dir1/f1").objects.map(\.key) == ["dir1/f10", "dir1/f13", "dir1/f16", "dir1/f19"])
        #expect(try await list(store, prefix: "top").objects.map(\.key) == ["top0", "top1", "top2", "top3", "top4"])
        #expect(try await list(store, prefix: "top3").objects.map(\.key) == ["top3"])
        let dirs = try await list(store, prefix: "dir", delimiter: "/")
        #expect(dirs.objects.isEmpty)
        #expect(dirs.commonPrefixes == ["dir0/", "dir1/", "dir2/"])
        let inside = try await list(store, prefix: "dir2/", delimiter: "/")
        #expect(inside.commonPrefixes.isEmpty)
        #expect(inside.objects.map(\.key) == byteOrdered(listingKeys.filter { $0.hasPrefix("dir2/") }))
        #expect(try await list(store, prefix: "nothing").objects.isEmpty)
        #expect(try await list(store, prefix: "DIR").objects.isEmpty)
        // An `after` below the prefix starts at the prefix; one inside it continues from there.
        #expect(try await list(store, prefix: "top", after: "dir2/f99").objects.map(\.key) == ["top0", "top1", "top2", "top3", "top4"])
        #expect(try await list(store, prefix: "top", after: "top1").objects.map(\.key) == ["top2", "top3", "top4"])

        // maxKeys bounds a page; 0 returns nothing.
        let zero = try await list(store, maxKeys: 0)
        #expect(zero.objects.isEmpty)
        #expect(zero.commonPrefixes.isEmpty)
        let zeroRolled = try await list(store, delimiter: "/", maxKeys: 0)
        #expect(zeroRolled.objects.isEmpty)
        #expect(zeroRolled.commonPrefixes.isEmpty)
        let one = try await list(store, maxKeys: 1)
        #expect(one.objects.map(\.key) == [sorted[0]])
        #expect(one.isTruncated)
        let exact = try await list(store, prefix: "top", maxKeys: 5)
        #expect(exact.objects.count == 5)
        #expect(exact.isTruncated == false)
    }

    // MARK: - Concurrency

    static func concurrentWrites(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        // Distinct keys: all stored.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                group.addTask { try await store.putObject(bucket: bucket, key: "key-\(index)", tenant: tenant, bytes: bytes("value-\(index)")) }
            }
            try await group.waitForAll()
        }
        for index in 0..<30 {
            #expect(try await store.readObject(bucket: bucket, key: "key-\(index)", tenant: tenant) == bytes("value-\(index)"))
        }
        // One key: the last writer's content is whole, and matches its ETag.
        let etags = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<20 {
                group.addTask {
                    let info = try await store.putObject(bucket: bucket, key: "contended", tenant: tenant,
                                                         bytes: [UInt8](repeating: UInt8(index), count: 10_000))
                    return (index, info.etag)
                }
            }
            var etags: [Int: String] = [:]
            for try await (index, etag) in group { etags[index] = etag }
            return etags
        }
        let content = try await store.readObject(bucket: bucket, key: "contended", tenant: tenant)
        let writer = Int(try #require(content.first))
        #expect(content == [UInt8](repeating: UInt8(writer), count: 10_000))
        #expect(try await store.headObject(bucket: bucket, key: "contended", tenant: tenant).etag == etags[writer])
        let listing = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(listing.objects.count == 31)
    }

    // MARK: - Multipart

    static let partSize = 5 << 20
    /// Part contents with MD5s computed by a reference implementation (Python's hashlib):
    /// 5 MiB of "a", 5 MiB of "b", 1 KiB of "c".
    static let part1 = [UInt8](repeating: 0x61, count: partSize)
    static let part2 = [UInt8](repeating: 0x62, count: partSize)
    static let part3 = [UInt8](repeating: 0x63, count: 1024)
    static let part1MD5 = "79b281060d337b9b2b84ccf390adcf74"
    static let part2MD5 = "74843a3ab193a389bced899402d99d5f"
    static let part3MD5 = "2363e5e6343a2f2afd1e0c733f2b10f4"
    /// hex(md5(md5(part1) ‖ md5(part2) ‖ md5(part3))) + "-3".
    static let multipartETag = "c43647d2543bbb0984bac6210ff0eb6a-3"
    /// hex(md5(md5("abc"))) + "-1".
    static let singlePartABCETag = "af5da9f45af7a300e3aded972f8ff687-1"

    static func multipartUploadCompletes(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let key = "archive/big.tar"
        // An existing object at the key is replaced on completion, not before.
        try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: bytes("old"))
        let attributes = ObjectAttributes(contentType: "application/x-tar", metadata: ["origin": "multipart"])
        let upload = try await store.createMultipartUpload(bucket: bucket, key: key, tenant: tenant, attributes: attributes)
        #expect(upload.bucket == bucket)
        #expect(upload.key == key)
        #expect(!upload.uploadID.isEmpty)
        #expect(upload.attributes == attributes)

        // Parts may arrive in any order.
        let p3 = try await uploadPart(store, key: key, uploadID: upload.uploadID, number: 3, part3)
        let p1 = try await uploadPart(store, key: key, uploadID: upload.uploadID, number: 1, part1)
        let p2 = try await uploadPart(store, key: key, uploadID: upload.uploadID, number: 2, part2)
        #expect(p1.number == 1 && p2.number == 2 && p3.number == 3)
        #expect(p1.etag == part1MD5)
        #expect(p2.etag == part2MD5)
        #expect(p3.etag == part3MD5)
        #expect(p1.size == Int64(partSize) && p3.size == 1024)
        #expect(try await store.readObject(bucket: bucket, key: key, tenant: tenant) == bytes("old"))

        let info = try await store.completeMultipartUpload(
            bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID,
            parts: [CompletedPart(number: 1, etag: "\"\(p1.etag)\""), CompletedPart(number: 2, etag: p2.etag), CompletedPart(number: 3, etag: p3.etag)])
        #expect(info.key == key)
        #expect(info.size == Int64(2 * partSize + 1024))
        #expect(info.partCount == 3)
        #expect(info.etag.wholeMatch(of: /[0-9a-f]{32}-3/) != nil, "ETag \(info.etag)")
        #expect(info.etag == multipartETag)
        #expect(info.contentType == "application/x-tar")
        #expect(info.metadata == ["origin": "multipart"])
        let head = try await store.headObject(bucket: bucket, key: key, tenant: tenant)
        #expect(head.etag == multipartETag)
        #expect(head.partCount == 3)
        #expect(head.size == info.size)
        #expect(head.metadata == ["origin": "multipart"])
        let content = try await store.readObject(bucket: bucket, key: key, tenant: tenant)
        #expect(content.count == 2 * partSize + 1024)
        #expect(content == part1 + part2 + part3)

        // The upload is gone.
        #expect(try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "", maxUploads: 10).isEmpty)
        let gone = ObjectStoreError.noSuchUpload(upload.uploadID)
        await #expect(throws: gone) { try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID, after: 0, maxParts: 10) }
        await #expect(throws: gone) { try await uploadPart(store, key: key, uploadID: upload.uploadID, number: 4, bytes("late")) }
        await #expect(throws: gone) {
            try await store.completeMultipartUpload(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID,
                                                    parts: [CompletedPart(number: 1, etag: p1.etag)])
        }
        await #expect(throws: gone) { try await store.abortMultipartUpload(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID) }
        // The object survives the upload's cleanup.
        #expect(try await store.headObject(bucket: bucket, key: key, tenant: tenant).etag == multipartETag)

        // A single-part upload: the ETag is still md5-of-md5s with the part count.
        let single = try await store.createMultipartUpload(bucket: bucket, key: "single", tenant: tenant, attributes: ObjectAttributes())
        let only = try await uploadPart(store, key: "single", uploadID: single.uploadID, number: 1, bytes("abc"))
        #expect(only.etag == "900150983cd24fb0d6963f7d28e17f72")
        let singleInfo = try await store.completeMultipartUpload(bucket: bucket, key: "single", tenant: tenant, uploadID: single.uploadID,
                                                                 parts: [CompletedPart(number: 1, etag: only.etag)])
        #expect(singleInfo.etag == singlePartABCETag)
        #expect(singleInfo.partCount == 1)
        #expect(try await store.readObject(bucket: bucket, key: "single", tenant: tenant) == bytes("abc"))
        // A multipart object copies like any other.
        let copy = try await store.copyObject(fromBucket: bucket, fromKey: "single", toBucket: bucket, toKey: "single-copy", tenant: tenant, attributes: nil)
        #expect(copy.etag == singlePartABCETag)
        #expect(try await store.readObject(bucket: bucket, key: "single-copy", tenant: tenant) == bytes("abc"))
    }

    static func multipartListing(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let key = "uploads/b"
        let upload = try await store.createMultipartUpload(bucket: bucket, key: key, tenant: tenant,
                                                           attributes: ObjectAttributes(contentType: "text/csv", metadata: ["k": "v"]))
        for number in [3, 1, 2] {
            _ = try await uploadPart(store, key: key, uploadID: upload.uploadID, number: number, bytes("part \(number)"))
        }
        let all = try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID, after: 0, maxParts: 1000)
        #expect(all.parts.map(\.number) == [1, 2, 3])
        #expect(all.parts.map(\.size) == [6, 6, 6])
        #expect(all.parts.allSatisfy { isLowerHexMD5($0.etag) })
        #expect(all.isTruncated == false)
        let firstTwo = try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID, after: 0, maxParts: 2)
        #expect(firstTwo.parts.map(\.number) == [1, 2])
        #expect(firstTwo.isTruncated)
        let rest = try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID, after: 2, maxParts: 2)
        #expect(rest.parts.map(\.number) == [3])
        #expect(rest.isTruncated == false)
        let none = try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID, after: 3, maxParts: 2)
        #expect(none.parts.isEmpty)
        #expect(none.isTruncated == false)
        #expect(try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: upload.uploadID, after: 1, maxParts: 1).parts.map(\.number) == [2])

        // Uploads: ordered by key, then upload id; filtered by prefix.
        let second = try await store.createMultipartUpload(bucket: bucket, key: key, tenant: tenant, attributes: ObjectAttributes())
        let earlier = try await store.createMultipartUpload(bucket: bucket, key: "uploads/a", tenant: tenant, attributes: ObjectAttributes())
        let elsewhere = try await store.createMultipartUpload(bucket: bucket, key: "other", tenant: tenant, attributes: ObjectAttributes())
        let uploads = try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "", maxUploads: 100)
        let expectedOrder = [elsewhere.uploadID, earlier.uploadID] + [upload.uploadID, second.uploadID].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(uploads.map(\.uploadID) == expectedOrder)
        let listed = try #require(uploads.first { $0.uploadID == upload.uploadID })
        #expect(listed.key == key)
        #expect(listed.bucket == bucket)
        #expect(listed.attributes == ObjectAttributes(contentType: "text/csv", metadata: ["k": "v"]))
        #expect(try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "uploads/", maxUploads: 100).map(\.key)
            == ["uploads/a", key, key])
        #expect(try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "uploads/b", maxUploads: 100).count == 2)
        #expect(try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "none", maxUploads: 100).isEmpty)
        #expect(try await store.listMultipartUploads(bucket: bucket, tenant: tenant, prefix: "", maxUploads: 2).map(\.uploadID) == Array(expectedOrder.prefix(2)))
        // Uploads are not objects.
        let objects = try await store.listObjects(bucket: bucket, tenant: tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(objects.objects.isEmpty)
        await #expect(throws: ObjectStoreError.noSuchKey(key)) { try await store.headObject(bucket: bucket, key: key, tenant: tenant) }
        // Parts belong to their upload.
        #expect(try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: second.uploadID, after: 0, maxParts: 10).parts.isEmpty)
    }

    static func multipartCompletionIsChecked(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let key = "checked"
        let upload = try await store.createMultipartUpload(bucket: bucket, key: key, tenant: tenant, attributes: ObjectAttributes())
        let id = upload.uploadID
        let p1 = try await uploadPart(store, key: key, uploadID: id, number: 1, part1)
        let p2 = try await uploadPart(store, key: key, uploadID: id, number: 2, part3)  // 1 KiB
        let p3 = try await uploadPart(store, key: key, uploadID: id, number: 3, bytes("tail"))
        func complete(_ parts: [CompletedPart]) async throws -> ObjectInfo {
            try await store.completeMultipartUpload(bucket: bucket, key: key, tenant: tenant, uploadID: id, parts: parts)
        }
        let c1 = CompletedPart(number: 1, etag: p1.etag)
        let c2 = CompletedPart(number: 2, etag: p2.etag)
        let c3 = CompletedPart(number: 3, etag: p3.etag)

        await #expect(throws: ObjectStoreError.invalidPartOrder) { try await complete([c2, c1]) }
        await #expect(throws: ObjectStoreError.invalidPartOrder) { try await complete([c1, c3, c2]) }
        await #expect(throws: ObjectStoreError.invalidPartOrder) { try await complete([c1, c1]) }
        await #expect(throws: ObjectStoreError.invalidPart(1)) { try await complete([CompletedPart(number: 1, etag: p2.etag), c3]) }
        await #expect(throws: ObjectStoreError.invalidPart(1)) { try await complete([CompletedPart(number: 1, etag: "not-an-etag"), c3]) }
        await #expect(throws: ObjectStoreError.invalidPart(4)) { try await complete([c1, CompletedPart(number: 4, etag: p3.etag)]) }
        // A part below 5 MiB that is not the last.
        await #expect(throws: ObjectStoreError.entityTooSmall(part: 2)) { try await complete([c1, c2, c3]) }
        await #expect(throws: ObjectStoreError.entityTooSmall(part: 2)) { try await complete([c2, c3]) }
        await #expect(throws: ObjectStoreError.self) { try await complete([]) }
        // Part numbers outside 1...10,000.
        for number in [0, -1, 10_001] {
            await expectThrows(ObjectStoreError.self, { try await uploadPart(store, key: key, uploadID: id, number: number, bytes("x")) },
                               matching: isInvalidArgument)
        }
        // An upload id belongs to its bucket and key.
        await #expect(throws: ObjectStoreError.noSuchUpload("no-such-upload")) {
            try await uploadPart(store, key: key, uploadID: "no-such-upload", number: 1, bytes("x"))
        }
        await #expect(throws: ObjectStoreError.noSuchUpload(id)) { try await uploadPart(store, key: "other-key", uploadID: id, number: 1, bytes("x")) }
        await #expect(throws: ObjectStoreError.noSuchUpload(id)) {
            try await store.listParts(bucket: bucket, key: "other-key", tenant: tenant, uploadID: id, after: 0, maxParts: 10)
        }
        await #expect(throws: ObjectStoreError.noSuchUpload(id)) {
            try await store.completeMultipartUpload(bucket: bucket, key: "other-key", tenant: tenant, uploadID: id, parts: [c1])
        }
        await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) {
            try await store.createMultipartUpload(bucket: "no-such-bucket", key: key, tenant: tenant, attributes: ObjectAttributes())
        }

        // The failures left the upload intact: completing with a subset of its parts (numbers need
        // not be consecutive) joins exactly those.
        await #expect(throws: ObjectStoreError.noSuchKey(key)) { try await store.headObject(bucket: bucket, key: key, tenant: tenant) }
        #expect(try await store.listParts(bucket: bucket, key: key, tenant: tenant, uploadID: id, after: 0, maxParts: 10).parts.map(\.number) == [1, 2, 3])
        let info = try await complete([c1, c3])
        #expect(info.partCount == 2)
        #expect(info.size == Int64(partSize + 4))
        #expect(info.etag.wholeMatch(of: /[0-9a-f]{32}-2/) != nil)
        #expect(try await store.readObject(bucket: bucket, key: key, tenant: tenant) == part1 + bytes("tail"))
    }

    static func multipartAbort(_ store: any ObjectStore) async throws {
        let scratch = "scratch-bucket"
        _ = try await store.createBucket(scratch, tenant: tenant)
        let upload = try await store.createMultipartUpload(bucket: scratch, key: "k", tenant: tenant, attributes: ObjectAttributes())
        let part = try await uploadPart(store, key: "k", uploadID: upload.uploadID, number: 1, bytes("part"), bucket: scratch)
        try await store.abortMultipartUpload(bucket: scratch, key: "k", tenant: tenant, uploadID: upload.uploadID)

        let gone = ObjectStoreError.noSuchUpload(upload.uploadID)
        await #expect(throws: gone) { try await uploadPart(store, key: "k", uploadID: upload.uploadID, number: 2, bytes("more"), bucket: scratch) }
        await #expect(throws: gone) { try await store.listParts(bucket: scratch, key: "k", tenant: tenant, uploadID: upload.uploadID, after: 0, maxParts: 10) }
        await #expect(throws: gone) {
            try await store.completeMultipartUpload(bucket: scratch, key: "k", tenant: tenant, uploadID: upload.uploadID,
                                                    parts: [CompletedPart(number: 1, etag: part.etag)])
        }
        await #expect(throws: gone) { try await store.abortMultipartUpload(bucket: scratch, key: "k", tenant: tenant, uploadID: upload.uploadID) }
        #expect(try await store.listMultipartUploads(bucket: scratch, tenant: tenant, prefix: "", maxUploads: 10).isEmpty)
        await #expect(throws: ObjectStoreError.noSuchKey("k")) { try await store.headObject(bucket: scratch, key: "k", tenant: tenant) }
        // Nothing of it is left: the bucket is empty and can be deleted.
        try await store.deleteBucket(scratch, tenant: tenant)
    }

    static func multipartPartReplacement(_ store: any ObjectStore) async throws {
        _ = try await store.createBucket(bucket, tenant: tenant)
        let upload = try await store.createMultipartUpload(bucket: bucket, key: "k", tenant: tenant, attributes: ObjectAttributes())
        let first = try await uploadPart(store, key: "k", uploadID: upload.uploadID, number: 1, bytes("x"))
        #expect(first.etag == "9dd4e461268c8034f5c8564e155c67a6")
        let second = try await uploadPart(store, key: "k", uploadID: upload.uploadID, number: 1, bytes("abc"))
        #expect(second.etag == "900150983cd24fb0d6963f7d28e17f72")
        let parts = try await store.listParts(bucket: bucket, key: "k", tenant: tenant, uploadID: upload.uploadID, after: 0, maxParts: 10)
        #expect(parts.parts.count == 1)
        #expect(parts.parts.first?.etag == second.etag)
        #expect(parts.parts.first?.size == 3)
        // The replaced part's ETag no longer completes.
        await #expect(throws: ObjectStoreError.invalidPart(1)) {
            try await store.completeMultipartUpload(bucket: bucket, key: "k", tenant: tenant, uploadID: upload.uploadID,
                                                    parts: [CompletedPart(number: 1, etag: first.etag)])
        }
        let info = try await store.completeMultipartUpload(bucket: bucket, key: "k", tenant: tenant, uploadID: upload.uploadID,
                                                           parts: [CompletedPart(number: 1, etag: second.etag)])
        #expect(info.etag == singlePartABCETag)
        #expect(try await store.readObject(bucket: bucket, key: "k", tenant: tenant) == bytes("abc"))
    }
}
