import Foundation
import Logging

/// The embedded ``ObjectStore``: object bytes in files, metadata and the sorted key index in LMDB.
///
/// An object of at most ``inlineLimit`` bytes is kept inside its index entry instead (as Garage
/// keeps small objects in its metadata): one group-committed LMDB transaction makes it durable,
/// with no file to create, fsync, rename and later unlink. A larger body is written to `staging/`, fsynced, renamed into `blobs/` under a fresh random name
/// (never a name derived from the key), the directory is fsynced, and only then is the index
/// entry committed: an acknowledged object is complete on disk, and a crash at any point leaves
/// at worst an unreferenced file, which ``removeLeftovers()`` removes (at open, unless told not to).
/// Replaced and deleted blobs are unlinked after the index commit.
public final class LocalObjectStore: ObjectStore {
    /// The databases this adapter needs in its environment.
    public static let databases = LocalObjectIndex.databases
    /// The largest object kept inline in the index rather than in a blob file.
    public static let inlineLimit = 16 << 10

    let environment: LMDBEnvironment
    let buckets: LMDBDatabase
    let objects: LMDBDatabase
    let uploads: LMDBDatabase
    let parts: LMDBDatabase
    let blobs: LMDBDatabase
    let stagingDirectory: String
    let blobDirectory: String
    let logger: Logger
    let now: @Sendable () -> Date

    /// Opens the store in `directory` (creating `staging/` and `blobs/`). With `removeLeftovers`
    /// it also runs ``removeLeftovers()``; a process that opens the store beside a running server
    /// (a CLI tool) must pass false, or it would remove files the server is about to index.
    public init(directory: String, environment: LMDBEnvironment, removeLeftovers: Bool = true, logger: Logger = Logger(label: "objects"),
                now: @escaping @Sendable () -> Date = Date.init) throws {
        self.environment = environment
        buckets = environment.database("buckets")
        objects = environment.database("objects")
        uploads = environment.database("uploads")
        parts = environment.database("parts")
        blobs = environment.database("blobs")
        stagingDirectory = directory + "/staging"
        blobDirectory = directory + "/blobs"
        self.logger = logger
        self.now = now
        let files = FileManager.default
        for path in [directory, stagingDirectory, blobDirectory] {
            try files.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if removeLeftovers { try self.removeLeftovers() }
    }

    // MARK: - Buckets

    public func createBucket(_ name: String, tenant: String) async throws -> BucketInfo {
        try ObjectNames.validateBucket(name)
        let info = BucketInfo(name: name, tenant: tenant, createdAt: now())
        return try await environment.write { [buckets] transaction in
            if let existing = try transaction.get(buckets, Array(name.utf8)) {
                let owner = try LocalObjectIndex.decode(BucketInfo.self, existing)
                throw owner.tenant == tenant ? ObjectStoreError.bucketAlreadyOwnedByYou(name) : ObjectStoreError.bucketAlreadyExists(name)
            }
            try transaction.put(buckets, Array(name.utf8), try LocalObjectIndex.encode(info))
            return info
        }
    }

    public func deleteBucket(_ name: String, tenant: String) async throws {
        try await environment.write { [buckets, objects, uploads] transaction in
            _ = try Self.ownedBucket(name, tenant, transaction, buckets)
            let prefix = LocalObjectIndex.bucketPrefix(name)
            for database in [objects, uploads] {
                var empty = true
                try transaction.scan(database, from: prefix) { key, _ in
                    empty = !key.starts(with: prefix)
                    return false
                }
                guard empty else { throw ObjectStoreError.bucketNotEmpty(name) }
            }
            try transaction.delete(buckets, Array(name.utf8))
        }
    }

    public func bucket(_ name: String, tenant: String) async throws -> BucketInfo {
        try environment.read { transaction in try Self.ownedBucket(name, tenant, transaction, buckets) }
    }

    public func listBuckets(tenant: String) async throws -> [BucketInfo] {
        try environment.read { transaction in
            var found: [BucketInfo] = []
            try transaction.scan(buckets, from: []) { _, value in
                let info = try LocalObjectIndex.decode(BucketInfo.self, value)
                if info.tenant == tenant { found.append(info) }
                return true
            }
            return found
        }
    }

    /// The bucket when `tenant` owns it; throws NoSuchBucket or AccessDenied.
    static func ownedBucket(_ name: String, _ tenant: String, _ transaction: borrowing LMDBTransaction, _ buckets: LMDBDatabase) throws -> BucketInfo {
        guard let stored = try transaction.get(buckets, Array(name.utf8)) else { throw ObjectStoreError.noSuchBucket(name) }
        let info = try LocalObjectIndex.decode(BucketInfo.self, stored)
        guard info.tenant == tenant else { throw ObjectStoreError.accessDenied }
        return info
    }

    // MARK: - Objects

    public func stage(limit: Int64) throws -> ObjectStaging {
        try ObjectStaging(path: stagingDirectory + "/" + Self.newBlobID() + ".tmp", limit: limit, inlineLimit: Self.inlineLimit)
    }

    public func putObject(bucket: String, key: String, tenant: String, staged: ObjectStaging, attributes: ObjectAttributes) async throws -> ObjectInfo {
        try ObjectNames.validateKey(key)
        let (md5, size, blob, inline) = try await finishAndPublish(staged, inline: true)
        let info = ObjectInfo(bucket: bucket, key: key, size: size, etag: md5, contentType: attributes.contentType,
                              metadata: attributes.metadata, lastModified: now(), partCount: nil)
        try await commitObject(LocalObjectIndex.ObjectRecord(info: info, blob: blob, inlineContent: inline.map { Data($0) }), tenant: tenant)
        return info
    }

    public func headObject(bucket: String, key: String, tenant: String) async throws -> ObjectInfo {
        try record(bucket: bucket, key: key, tenant: tenant).info
    }

    public func getObject(bucket: String, key: String, tenant: String) async throws -> StoredObject {
        let found = try record(bucket: bucket, key: key, tenant: tenant)
        if let inline = found.inlineContent { return StoredObject(info: found.info, content: .bytes([UInt8](inline))) }
        return StoredObject(info: found.info, content: .file(path: blobPath(found.blob), offset: 0))
    }

    public func deleteObject(bucket: String, key: String, tenant: String) async throws -> Bool {
        try ObjectNames.validateKey(key)
        // nil: there was no such object; else the blob file it leaves (nil when it was inline).
        let removed: String?? = try await environment.write { [buckets, objects, blobs] transaction in
            _ = try Self.ownedBucket(bucket, tenant, transaction, buckets)
            let indexKey = LocalObjectIndex.objectKey(bucket, key)
            guard let stored = try transaction.get(objects, indexKey) else { return nil }
            let old = try LocalObjectIndex.ObjectRecord.decode(stored)
            try transaction.delete(objects, indexKey)
            if let file = old.blobFile { try transaction.delete(blobs, Array(file.utf8)) }
            return .some(old.blobFile)
        }
        guard let removed else { return false }
        await removeBlobs([removed].compactMap { $0 })
        return true
    }

    public func copyObject(fromBucket: String, fromKey: String, toBucket: String, toKey: String, tenant: String,
                           attributes: ObjectAttributes?) async throws -> ObjectInfo {
        try ObjectNames.validateKey(toKey)
        // Blobs are immutable, so a copy is a hard link under a new blob name. The source may be
        // replaced between the lookup and the link: then look it up again.
        for _ in 0..<3 {
            let source = try record(bucket: fromBucket, key: fromKey, tenant: tenant)
            func copied(blob: String, inline: Data?) -> LocalObjectIndex.ObjectRecord {
                let info = ObjectInfo(bucket: toBucket, key: toKey, size: source.info.size, etag: source.info.etag,
                                      contentType: attributes == nil ? source.info.contentType : attributes?.contentType,
                                      metadata: attributes?.metadata ?? source.info.metadata, lastModified: now(), partCount: source.info.partCount)
                return LocalObjectIndex.ObjectRecord(info: info, blob: blob, inlineContent: inline)
            }
            if let inline = source.inlineContent {
                let record = copied(blob: "", inline: inline)
                try await commitObject(record, tenant: tenant)
                return record.info
            }
            let blob = Self.newBlobID()
            let linked = try await BlockingIO.run { [self] in
                if link(blobPath(source.blob), blobPath(blob)) != 0 {
                    if errno == ENOENT { return false }
                    guard errno == EMLINK else { throw ObjectStoreIOError(operation: "link \(source.blob)", code: errno) }
                    // The file system's link limit for this content is reached: copy the bytes.
                    let staging = try stage(limit: source.info.size)
                    do {
                        try append(blobPath(source.blob), to: staging)
                        _ = try staging.finish(inline: false)
                    } catch {
                        staging.discard()
                        throw error
                    }
                    guard rename(staging.path, blobPath(blob)) == 0 else {
                        staging.discard()
                        throw ObjectStoreIOError(operation: "rename a copy into blobs", code: errno)
                    }
                }
                try syncDirectory(blobDirectory)
                return true
            }
            guard linked else { continue }
            let record = copied(blob: blob, inline: nil)
            do {
                try await commitObject(record, tenant: tenant)
            } catch {
                await removeBlobs([blob])
                throw error
            }
            return record.info
        }
        throw ObjectStoreError.noSuchKey(fromKey)
    }

    // MARK: - Shared steps

    /// The index record of an object the tenant may read.
    func record(bucket: String, key: String, tenant: String) throws -> LocalObjectIndex.ObjectRecord {
        try ObjectNames.validateKey(key)
        return try environment.read { transaction in
            _ = try Self.ownedBucket(bucket, tenant, transaction, buckets)
            guard let stored = try transaction.get(objects, LocalObjectIndex.objectKey(bucket, key)) else { throw ObjectStoreError.noSuchKey(key) }
            return try LocalObjectIndex.ObjectRecord.decode(stored)
        }
    }

    /// Indexes a published blob as the object (replacing any earlier one, whose blob is then
    /// unlinked). When the commit fails the new blob is removed.
    func commitObject(_ record: LocalObjectIndex.ObjectRecord, tenant: String) async throws {
        let replaced: String?
        do {
            replaced = try await environment.write { [buckets, objects, blobs] transaction in
                _ = try Self.ownedBucket(record.info.bucket, tenant, transaction, buckets)
                let indexKey = LocalObjectIndex.objectKey(record.info.bucket, record.info.key)
                let old = try transaction.get(objects, indexKey).map { try LocalObjectIndex.ObjectRecord.decode($0) }
                try transaction.put(objects, indexKey, record.encoded())
                if let file = record.blobFile { try transaction.put(blobs, Array(file.utf8), []) }
                if let file = old?.blobFile { try transaction.delete(blobs, Array(file.utf8)) }
                return old?.blobFile
            }
        } catch {
            await removeBlobs([record.blobFile].compactMap { $0 })
            throw error
        }
        await removeBlobs([replaced].compactMap { $0 })
    }

    /// Ends a staged body; answers its MD5, size, and either its bytes (when `inline` allows and
    /// it is small: nothing touches the disk) or the id of the blob file it now is (flushed and
    /// published off the cooperative pool). A failure removes the staging file.
    func finishAndPublish(_ staged: ObjectStaging, inline: Bool) async throws -> (md5: String, size: Int64, blob: String, inline: [UInt8]?) {
        if inline, staged.isInMemory {
            let finished = try Self.finish(staged, inline: true)  // no I/O: the bytes are in memory
            return (finished.md5, finished.size, "", finished.inline)
        }
        return try await BlockingIO.run { [self] in
            let finished = try Self.finish(staged, inline: false)
            return (finished.md5, finished.size, try publish(staged.path), nil)
        }
    }

    private static func finish(_ staged: ObjectStaging, inline: Bool) throws -> (md5: String, size: Int64, inline: [UInt8]?) {
        do { return try staged.finish(inline: inline) } catch {
            staged.discard()
            throw error
        }
    }

    /// Moves a finished staging file into `blobs/` under a new name and makes the rename durable.
    func publish(_ stagingPath: String) throws -> String {
        let blob = Self.newBlobID()
        guard rename(stagingPath, blobPath(blob)) == 0 else {
            let code = errno
            unlink(stagingPath)
            throw ObjectStoreIOError(operation: "rename into blobs", code: code)
        }
        try syncDirectory(blobDirectory)
        return blob
    }

    func blobPath(_ blob: String) -> String { blobDirectory + "/" + blob }

    /// Unlinks blob files off the cooperative pool (removing a large file can block).
    func removeBlobs(_ blobs: [String]) async {
        guard !blobs.isEmpty else { return }
        _ = try? await BlockingIO.run { [self] in blobs.forEach(unlinkBlob) }
    }

    func unlinkBlob(_ blob: String) {
        if unlink(blobPath(blob)) != 0, errno != ENOENT {
            logger.warning("could not remove a replaced blob", metadata: ["blob": "\(blob)", "errno": "\(errno)"])
        }
    }

    func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ObjectStoreIOError(operation: "open \(path)", code: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ObjectStoreIOError(operation: "fsync \(path)", code: errno) }
    }

    /// 128 random bits as 32 hex digits.
    static func newBlobID() -> String {
        var random = SystemRandomNumberGenerator()
        return Hex.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &random) })
    }

    /// Empties `staging/` and removes blob files no index entry references: what a crash in the
    /// middle of a write leaves. Only for the process that owns the store, before it serves.
    @discardableResult
    public func removeLeftovers() throws -> Int {
        let files = FileManager.default
        var removed = 0
        for name in try files.contentsOfDirectory(atPath: stagingDirectory) {
            unlink(stagingDirectory + "/" + name)
            removed += 1
        }
        let referenced: Set<String> = try environment.read { transaction in
            var names = Set<String>()
            try transaction.scan(blobs, from: []) { key, _ in
                names.insert(String(decoding: key, as: UTF8.self))
                return true
            }
            return names
        }
        for name in try files.contentsOfDirectory(atPath: blobDirectory) where !referenced.contains(name) {
            unlink(blobDirectory + "/" + name)
            removed += 1
        }
        if removed > 0 { logger.notice("removed files left by an interrupted write", metadata: ["count": "\(removed)"]) }
        return removed
    }
}
