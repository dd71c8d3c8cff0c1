import Crypto
import Foundation
import Storage
import Testing

@Suite struct LocalObjectStoreTests {
    /// The store's files (index included) live in `<root>/store`; `<root>` belongs to the test.
    static func storeDirectory(_ root: TemporaryDirectory) -> URL { root.appending("store") }

    static func open(_ root: TemporaryDirectory) throws -> LocalObjectStore {
        let directory = storeDirectory(root)
        let environment = try LMDBEnvironment(path: directory.appendingPathComponent("index").path, databases: LocalObjectStore.databases)
        return try LocalObjectStore(directory: directory.path, environment: environment)
    }

    @Test(arguments: ObjectStoreConformance.checks)
    func conformance(_ check: ObjectStoreConformance.Check) async throws {
        try await withTemporaryDirectory("local-objects") { root in
            let store = try Self.open(root)
            try await check.run(ObjectStoreSubject(store: store, directory: Self.storeDirectory(root)))
        }
    }

    static func files(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    static let tenant = ObjectStoreConformance.tenant
    static let bucket = ObjectStoreConformance.bucket

    /// Content one byte too large to be kept inline: it gets a blob file.
    static func fileSized(_ text: String) -> [UInt8] {
        Array(text.utf8) + [UInt8](repeating: 0x2E, count: LocalObjectStore.inlineLimit + 1 - text.utf8.count)
    }

    // MARK: - Recovery

    @Test func crashLeftoversAreRemovedAtOpenAndIndexedObjectsKept() async throws {
        try await withTemporaryDirectory("local-objects-recovery") { root in
            let written = try await Self.writeObjectsAndClose(root)
            let directory = Self.storeDirectory(root)
            let staging = directory.appendingPathComponent("staging")
            let blobs = directory.appendingPathComponent("blobs")
            let referenced = try Self.files(in: blobs)
            // What a crash leaves: staging files of interrupted bodies, and a blob renamed into
            // place whose index commit never happened.
            try Data(repeating: 1, count: 1000).write(to: staging.appendingPathComponent("0123456789abcdef0123456789abcdef.tmp"))
            try Data().write(to: staging.appendingPathComponent("half-written"))
            try Data(repeating: 2, count: 1000).write(to: blobs.appendingPathComponent("deadbeefdeadbeefdeadbeefdeadbeef"))
            try Data("x".utf8).write(to: blobs.appendingPathComponent("stray"))

            let store = try Self.open(root)
            #expect(try Self.files(in: staging).isEmpty)
            #expect(try Self.files(in: blobs) == referenced)
            for (key, content) in written.objects {
                #expect(try await store.readObject(bucket: Self.bucket, key: key, tenant: Self.tenant) == content, "\(key)")
            }
            // The pending upload's part survived too and completes.
            let parts = try await store.listParts(bucket: Self.bucket, key: "pending", tenant: Self.tenant, uploadID: written.uploadID, after: 0, maxParts: 10)
            #expect(parts.parts.map(\.number) == [1])
            _ = try await store.completeMultipartUpload(bucket: Self.bucket, key: "pending", tenant: Self.tenant, uploadID: written.uploadID,
                                                        parts: [CompletedPart(number: 1, etag: written.partETag)])
            #expect(try await store.readObject(bucket: Self.bucket, key: "pending", tenant: Self.tenant) == Array("the only part".utf8))
        }
    }

    /// Writes objects (plain, large, copied, overwritten, deleted) and a pending upload, then drops
    /// every reference to the store and its environment.
    private static func writeObjectsAndClose(_ root: TemporaryDirectory) async throws -> (objects: [String: [UInt8]], uploadID: String, partETag: String) {
        let store = try open(root)
        _ = try await store.createBucket(bucket, tenant: tenant)
        var objects: [String: [UInt8]] = [:]
        objects["small"] = Array("small".utf8)
        objects["large"] = randomBytes(1 << 20)
        objects["replaced"] = Array("second".utf8)
        for (key, content) in objects where key != "replaced" {
            try await store.putObject(bucket: bucket, key: key, tenant: tenant, bytes: content)
        }
        try await store.putObject(bucket: bucket, key: "replaced", tenant: tenant, bytes: Array("first".utf8))
        try await store.putObject(bucket: bucket, key: "replaced", tenant: tenant, bytes: Array("second".utf8))
        _ = try await store.copyObject(fromBucket: bucket, fromKey: "small", toBucket: bucket, toKey: "copied", tenant: tenant, attributes: nil)
        objects["copied"] = Array("small".utf8)
        try await store.putObject(bucket: bucket, key: "deleted", tenant: tenant, bytes: Array("gone".utf8))
        _ = try await store.deleteObject(bucket: bucket, key: "deleted", tenant: tenant)
        let upload = try await store.createMultipartUpload(bucket: bucket, key: "pending", tenant: tenant, attributes: ObjectAttributes())
        let part = try await ObjectStoreConformance.uploadPart(store, key: "pending", uploadID: upload.uploadID, number: 1, Array("the only part".utf8))
        return (objects, upload.uploadID, part.etag)
    }

    // MARK: - Files

    @Test func blobFilesNeverCarryTheKeyInTheirName() async throws {
        try await withTemporaryDirectory("local-objects-names") { root in
            let store = try Self.open(root)
            _ = try await store.createBucket("secret-bucket", tenant: Self.tenant)
            try await store.putObject(bucket: "secret-bucket", key: "secret-name", tenant: Self.tenant, bytes: Self.fileSized("hidden"))
            try await store.putObject(bucket: "secret-bucket", key: "folder/secret-name-2", tenant: Self.tenant, bytes: Self.fileSized("hidden"))
            _ = try await store.copyObject(fromBucket: "secret-bucket", fromKey: "secret-name", toBucket: "secret-bucket", toKey: "secret-copy",
                                           tenant: Self.tenant, attributes: nil)
            let upload = try await store.createMultipartUpload(bucket: "secret-bucket", key: "secret-multipart", tenant: Self.tenant,
                                                               attributes: ObjectAttributes())
            _ = try await ObjectStoreConformance.uploadPart(store, key: "secret-multipart", uploadID: upload.uploadID, number: 1,
                                                            Array("part".utf8), bucket: "secret-bucket")
            let pending = try store.stage(limit: 100)
            let everything = try FileManager.default.subpathsOfDirectory(atPath: Self.storeDirectory(root).path)
            #expect(!everything.isEmpty)
            for path in everything {
                #expect(!path.contains("secret"), "\(path) names a key or bucket")
            }
            let blobNames = try Self.files(in: Self.storeDirectory(root).appendingPathComponent("blobs"))
            #expect(blobNames.count == 4)
            pending.discard()
        }
    }

    @Test func blobFilesAreRemovedWhenNoLongerReferenced() async throws {
        try await withTemporaryDirectory("local-objects-cleanup") { root in
            let store = try Self.open(root)
            let blobs = Self.storeDirectory(root).appendingPathComponent("blobs")
            let staging = Self.storeDirectory(root).appendingPathComponent("staging")
            func blobCount() throws -> Int { try Self.files(in: blobs).count }
            _ = try await store.createBucket(Self.bucket, tenant: Self.tenant)
            _ = try await store.createBucket("bucket-b", tenant: "tenant-b")

            try await store.putObject(bucket: Self.bucket, key: "k", tenant: Self.tenant, bytes: Self.fileSized("one"))
            #expect(try blobCount() == 1)
            try await store.putObject(bucket: Self.bucket, key: "k", tenant: Self.tenant, bytes: Self.fileSized("two"))
            #expect(try blobCount() == 1, "an overwritten object's blob stayed")
            _ = try await store.copyObject(fromBucket: Self.bucket, fromKey: "k", toBucket: Self.bucket, toKey: "c", tenant: Self.tenant, attributes: nil)
            #expect(try blobCount() == 2)
            _ = try await store.copyObject(fromBucket: Self.bucket, fromKey: "k", toBucket: Self.bucket, toKey: "c", tenant: Self.tenant, attributes: nil)
            #expect(try blobCount() == 2, "a copy over an existing object left its blob")
            _ = try await store.deleteObject(bucket: Self.bucket, key: "k", tenant: Self.tenant)
            #expect(try blobCount() == 1)
            #expect(try await store.readObject(bucket: Self.bucket, key: "c", tenant: Self.tenant) == Self.fileSized("two"))
            _ = try await store.deleteObject(bucket: Self.bucket, key: "c", tenant: Self.tenant)
            #expect(try blobCount() == 0)

            // An object replaced by a small one (kept inline) gives its blob up, and back.
            try await store.putObject(bucket: Self.bucket, key: "k", tenant: Self.tenant, bytes: Self.fileSized("three"))
            #expect(try blobCount() == 1)
            try await store.putObject(bucket: Self.bucket, key: "k", tenant: Self.tenant, bytes: Array("small".utf8))
            #expect(try blobCount() == 0, "an object replaced by an inline one kept its blob")
            try await store.putObject(bucket: Self.bucket, key: "k", tenant: Self.tenant, bytes: Self.fileSized("four"))
            #expect(try blobCount() == 1)
            #expect(try await store.readObject(bucket: Self.bucket, key: "k", tenant: Self.tenant) == Self.fileSized("four"))
            _ = try await store.deleteObject(bucket: Self.bucket, key: "k", tenant: Self.tenant)
            #expect(try blobCount() == 0)

            // Refused writes leave no files.
            await #expect(throws: ObjectStoreError.accessDenied) {
                try await store.putObject(bucket: "bucket-b", key: "k", tenant: Self.tenant, bytes: Array("x".utf8))
            }
            await #expect(throws: ObjectStoreError.noSuchBucket("no-such-bucket")) {
                try await store.putObject(bucket: "no-such-bucket", key: "k", tenant: Self.tenant, bytes: Array("x".utf8))
            }
            let tooLarge = try store.stage(limit: 2)
            #expect(throws: ObjectStoreError.entityTooLarge(limit: 2)) { try Array("abc".utf8).withUnsafeBytes { try tooLarge.write($0) } }
            tooLarge.discard()
            #expect(try blobCount() == 0)
            #expect(try Self.files(in: staging).isEmpty)

            // Multipart: parts are blobs until completion, which leaves only the object's.
            let upload = try await store.createMultipartUpload(bucket: Self.bucket, key: "mp", tenant: Self.tenant, attributes: ObjectAttributes())
            let p1 = try await ObjectStoreConformance.uploadPart(store, key: "mp", uploadID: upload.uploadID, number: 1,
                                                                 [UInt8](repeating: 7, count: Int(LocalObjectStore.minimumPartSize)))
            _ = try await ObjectStoreConformance.uploadPart(store, key: "mp", uploadID: upload.uploadID, number: 2, Array("first".utf8))
            let p2 = try await ObjectStoreConformance.uploadPart(store, key: "mp", uploadID: upload.uploadID, number: 2, Array("tail".utf8))
            #expect(try blobCount() == 2, "a replaced part's blob stayed")
            _ = try await store.completeMultipartUpload(bucket: Self.bucket, key: "mp", tenant: Self.tenant, uploadID: upload.uploadID,
                                                        parts: [CompletedPart(number: 1, etag: p1.etag), CompletedPart(number: 2, etag: p2.etag)])
            #expect(try blobCount() == 1)
            #expect(try Self.files(in: staging).isEmpty)
            let aborted = try await store.createMultipartUpload(bucket: Self.bucket, key: "ab", tenant: Self.tenant, attributes: ObjectAttributes())
            _ = try await ObjectStoreConformance.uploadPart(store, key: "ab", uploadID: aborted.uploadID, number: 1, Array("p".utf8))
            #expect(try blobCount() == 2)
            try await store.abortMultipartUpload(bucket: Self.bucket, key: "ab", tenant: Self.tenant, uploadID: aborted.uploadID)
            #expect(try blobCount() == 1)
            // A failed completion leaves no joined file behind.
            let failing = try await store.createMultipartUpload(bucket: Self.bucket, key: "f", tenant: Self.tenant, attributes: ObjectAttributes())
            let small = try await ObjectStoreConformance.uploadPart(store, key: "f", uploadID: failing.uploadID, number: 1, Array("s".utf8))
            let last = try await ObjectStoreConformance.uploadPart(store, key: "f", uploadID: failing.uploadID, number: 2, Array("t".utf8))
            await #expect(throws: ObjectStoreError.entityTooSmall(part: 1)) {
                try await store.completeMultipartUpload(bucket: Self.bucket, key: "f", tenant: Self.tenant, uploadID: failing.uploadID,
                                                        parts: [CompletedPart(number: 1, etag: small.etag), CompletedPart(number: 2, etag: last.etag)])
            }
            #expect(try blobCount() == 3)
            #expect(try Self.files(in: staging).isEmpty)
        }
    }

    @Test func getObjectAnswersTheBlobFile() async throws {
        try await withTemporaryDirectory("local-objects-content") { root in
            let store = try Self.open(root)
            _ = try await store.createBucket(Self.bucket, tenant: Self.tenant)
            try await store.putObject(bucket: Self.bucket, key: "k", tenant: Self.tenant, bytes: Self.fileSized("file content"))
            let object = try await store.getObject(bucket: Self.bucket, key: "k", tenant: Self.tenant)
            guard case .file(let path, let offset) = object.content else {
                Issue.record("expected file content, got \(object.content)")
                return
            }
            #expect(offset == 0)
            #expect(path.hasPrefix(Self.storeDirectory(root).appendingPathComponent("blobs").path + "/"))
            #expect(FileManager.default.contents(atPath: path) == Data(Self.fileSized("file content")))
        }
    }

    // MARK: - Small objects inline

    @Test func smallObjectsLiveInTheIndexWithoutFiles() async throws {
        try await withTemporaryDirectory("local-objects-inline") { root in
            let blobs = Self.storeDirectory(root).appendingPathComponent("blobs")
            let staging = Self.storeDirectory(root).appendingPathComponent("staging")
            let largestInline = [UInt8](repeating: 0x41, count: LocalObjectStore.inlineLimit)
            do {
                let store = try Self.open(root)
                _ = try await store.createBucket(Self.bucket, tenant: Self.tenant)
                try await store.putObject(bucket: Self.bucket, key: "empty", tenant: Self.tenant, bytes: [])
                try await store.putObject(bucket: Self.bucket, key: "small", tenant: Self.tenant, bytes: Array("small".utf8),
                                          attributes: ObjectAttributes(contentType: "text/plain", metadata: ["a": "b"]))
                let info = try await store.putObject(bucket: Self.bucket, key: "largest", tenant: Self.tenant, bytes: largestInline)
                #expect(info.etag == Hex.encode(Insecure.MD5.hash(data: largestInline)))
                // A staged body written in pieces stays in memory until it passes the limit.
                let pieces = try store.stage(limit: 1 << 20)
                for _ in 0..<4 { try [UInt8](repeating: 0x42, count: LocalObjectStore.inlineLimit / 4).withUnsafeBytes { try pieces.write($0) } }
                #expect(try Self.files(in: staging).isEmpty)
                _ = try await store.putObject(bucket: Self.bucket, key: "pieces", tenant: Self.tenant, staged: pieces, attributes: ObjectAttributes())
                _ = try await store.copyObject(fromBucket: Self.bucket, fromKey: "small", toBucket: Self.bucket, toKey: "copy", tenant: Self.tenant, attributes: nil)
                #expect(try Self.files(in: blobs).isEmpty)
                #expect(try Self.files(in: staging).isEmpty)

                let small = try await store.getObject(bucket: Self.bucket, key: "small", tenant: Self.tenant)
                guard case .bytes(let bytes) = small.content else {
                    Issue.record("expected inline bytes, got \(small.content)")
                    return
                }
                #expect(bytes == Array("small".utf8))
                #expect(small.info.contentType == "text/plain" && small.info.metadata == ["a": "b"])

                // One byte more goes to a file, even when it arrives in a second piece.
                let grown = try store.stage(limit: 1 << 20)
                try largestInline.withUnsafeBytes { try grown.write($0) }
                #expect(try Self.files(in: staging).isEmpty)
                try [UInt8]([0x43]).withUnsafeBytes { try grown.write($0) }
                #expect(try Self.files(in: staging).count == 1)
                _ = try await store.putObject(bucket: Self.bucket, key: "grown", tenant: Self.tenant, staged: grown, attributes: ObjectAttributes())
                #expect(try Self.files(in: blobs).count == 1)
                #expect(try Self.files(in: staging).isEmpty)

                // A discarded small body leaves nothing behind.
                let abandoned = try store.stage(limit: 100)
                try Array("never".utf8).withUnsafeBytes { try abandoned.write($0) }
                abandoned.discard()
                #expect(try Self.files(in: staging).isEmpty)
                #expect(try await store.deleteObject(bucket: Self.bucket, key: "copy", tenant: Self.tenant))
                await #expect(throws: ObjectStoreError.noSuchKey("copy")) {
                    try await store.getObject(bucket: Self.bucket, key: "copy", tenant: Self.tenant)
                }
            }
            // Reopened (as after a restart, leftovers removed): everything reads back.
            let store = try Self.open(root)
            #expect(try await store.readObject(bucket: Self.bucket, key: "empty", tenant: Self.tenant) == [])
            #expect(try await store.readObject(bucket: Self.bucket, key: "small", tenant: Self.tenant) == Array("small".utf8))
            #expect(try await store.readObject(bucket: Self.bucket, key: "largest", tenant: Self.tenant) == largestInline)
            #expect(try await store.readObject(bucket: Self.bucket, key: "pieces", tenant: Self.tenant)
                == [UInt8](repeating: 0x42, count: LocalObjectStore.inlineLimit))
            #expect(try await store.readObject(bucket: Self.bucket, key: "grown", tenant: Self.tenant) == largestInline + [0x43])
            let listed = try await store.listObjects(bucket: Self.bucket, tenant: Self.tenant, prefix: "", delimiter: nil, after: nil, maxKeys: 100)
            #expect(listed.objects.map(\.key) == ["empty", "grown", "largest", "pieces", "small"])
            #expect(listed.objects.first { $0.key == "largest" }?.size == Int64(LocalObjectStore.inlineLimit))
        }
    }
}
