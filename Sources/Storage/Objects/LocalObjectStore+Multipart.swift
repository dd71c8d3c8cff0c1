import Crypto
import Foundation

extension LocalObjectStore {
    /// The smallest size of every part but the last, as S3.
    public static let minimumPartSize: Int64 = 5 << 20

    public func createMultipartUpload(bucket: String, key: String, tenant: String, attributes: ObjectAttributes) async throws -> MultipartUploadInfo {
        try ObjectNames.validateKey(key)
        let info = MultipartUploadInfo(uploadID: Self.newBlobID(), bucket: bucket, key: key, attributes: attributes, initiatedAt: now())
        try await environment.write { [buckets, uploads] transaction in
            _ = try Self.ownedBucket(bucket, tenant, transaction, buckets)
            try transaction.put(uploads, LocalObjectIndex.uploadKey(bucket, key, info.uploadID),
                                try LocalObjectIndex.encode(LocalObjectIndex.UploadRecord(info: info, tenant: tenant)))
        }
        return info
    }

    public func uploadPart(bucket: String, key: String, tenant: String, uploadID: String, partNumber: Int, staged: ObjectStaging) async throws -> PartInfo {
        guard (1...10_000).contains(partNumber) else { throw ObjectStoreError.invalidArgument("Part number must be an integer between 1 and 10000, inclusive") }
        try ObjectNames.validateKey(key)
        let (md5, size, blob, _) = try await finishAndPublish(staged, inline: false)
        let info = PartInfo(number: partNumber, etag: md5, size: size, lastModified: now())
        let replaced: String?
        do {
            replaced = try await environment.write { [buckets, uploads, parts, blobs] transaction in
                _ = try Self.upload(bucket, key, uploadID, tenant, transaction, buckets, uploads)
                let partKey = LocalObjectIndex.partKey(uploadID, partNumber)
                let old = try transaction.get(parts, partKey).map { try LocalObjectIndex.decode(LocalObjectIndex.PartRecord.self, $0) }
                try transaction.put(parts, partKey, try LocalObjectIndex.encode(LocalObjectIndex.PartRecord(info: info, blob: blob, md5: md5)))
                try transaction.put(blobs, Array(blob.utf8), [])
                if let old { try transaction.delete(blobs, Array(old.blob.utf8)) }
                return old?.blob
            }
        } catch {
            await removeBlobs([blob])
            throw error
        }
        await removeBlobs([replaced].compactMap { $0 })
        return info
    }

    public func completeMultipartUpload(bucket: String, key: String, tenant: String, uploadID: String, parts chosen: [CompletedPart]) async throws -> ObjectInfo {
        guard !chosen.isEmpty else { throw ObjectStoreError.invalidArgument("You must specify at least one part") }
        for (earlier, later) in zip(chosen, chosen.dropFirst()) where later.number <= earlier.number { throw ObjectStoreError.invalidPartOrder }
        // A retried Complete (the client timed out while the first one joined the parts) finds
        // the upload gone: when the object is the one these parts made, answer it again.
        let upload: LocalObjectIndex.UploadRecord
        let records: [LocalObjectIndex.PartRecord]
        do {
            (upload, records) = try checkedParts(bucket: bucket, key: key, tenant: tenant, uploadID: uploadID, chosen: chosen)
        } catch ObjectStoreError.noSuchUpload(let id) {
            if let digests = try? chosen.map({ part -> [UInt8] in
                guard let bytes = Hex.decode(part.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))), bytes.count == 16 else {
                    throw ObjectStoreError.invalidPart(part.number)
                }
                return bytes
            }), let existing = try? record(bucket: bucket, key: key, tenant: tenant).info,
               existing.etag == Hex.encode(Insecure.MD5.hash(data: digests.flatMap { $0 })) + "-\(chosen.count)" {
                return existing
            }
            throw ObjectStoreError.noSuchUpload(id)
        }
        for record in records.dropLast() where record.info.size < Self.minimumPartSize { throw ObjectStoreError.entityTooSmall(part: record.info.number) }
        return try await join(records, upload: upload, bucket: bucket, key: key, tenant: tenant, uploadID: uploadID)
    }

    /// The upload and the chosen parts' records, each checked against its ETag.
    private func checkedParts(bucket: String, key: String, tenant: String, uploadID: String,
                              chosen: [CompletedPart]) throws -> (LocalObjectIndex.UploadRecord, [LocalObjectIndex.PartRecord]) {
        try environment.read { transaction in
            let upload = try Self.upload(bucket, key, uploadID, tenant, transaction, buckets, uploads)
            let records = try chosen.map { part in
                guard let stored = try transaction.get(parts, LocalObjectIndex.partKey(uploadID, part.number)) else { throw ObjectStoreError.invalidPart(part.number) }
                let record = try LocalObjectIndex.decode(LocalObjectIndex.PartRecord.self, stored)
                guard record.info.etag == part.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) else { throw ObjectStoreError.invalidPart(part.number) }
                return record
            }
            return (upload, records)
        }
    }

    /// Joins the parts' files into one blob and indexes it as the object, removing the upload.
    private func join(_ records: [LocalObjectIndex.PartRecord], upload: LocalObjectIndex.UploadRecord, bucket: String, key: String,
                      tenant: String, uploadID: String) async throws -> ObjectInfo {
        let total = records.reduce(Int64(0)) { $0 + $1.info.size }
        let staging = try stage(limit: total)
        var digests = Insecure.MD5()
        for record in records {
            guard let digest = Hex.decode(record.md5) else { staging.discard(); throw ObjectStoreError.invalidPart(record.info.number) }
            digests.update(data: digest)
        }
        let etag = Hex.encode(digests.finalize()) + "-\(records.count)"
        let partPaths = records.map { blobPath($0.blob) }
        do {
            try await BlockingIO.run { [self] in
                for path in partPaths { try append(path, to: staging) }
            }
        } catch {
            staging.discard()
            throw error
        }
        let (_, _, blob, _) = try await finishAndPublish(staging, inline: false)
        let info = ObjectInfo(bucket: bucket, key: key, size: total, etag: etag, contentType: upload.info.attributes.contentType,
                              metadata: upload.info.attributes.metadata, lastModified: now(), partCount: records.count)
        let record = LocalObjectIndex.ObjectRecord(info: info, blob: blob)
        let (replaced, partBlobs): (String?, [String])
        do {
            (replaced, partBlobs) = try await environment.write { [buckets, objects, uploads, parts, blobs] transaction in
                _ = try Self.upload(bucket, key, uploadID, tenant, transaction, buckets, uploads)
                let indexKey = LocalObjectIndex.objectKey(bucket, key)
                let old = try transaction.get(objects, indexKey).map { try LocalObjectIndex.ObjectRecord.decode($0) }
                try transaction.put(objects, indexKey, record.encoded())
                try transaction.put(blobs, Array(blob.utf8), [])
                if let file = old?.blobFile { try transaction.delete(blobs, Array(file.utf8)) }
                let removed = try Self.removeUpload(bucket, key, uploadID, transaction, uploads, parts, blobs)
                return (old?.blobFile, removed)
            }
        } catch {
            await removeBlobs([blob])
            throw error
        }
        await removeBlobs([replaced].compactMap { $0 })
        await removeBlobs(partBlobs)
        return info
    }

    public func abortMultipartUpload(bucket: String, key: String, tenant: String, uploadID: String) async throws {
        let removed = try await environment.write { [buckets, uploads, parts, blobs] transaction in
            _ = try Self.upload(bucket, key, uploadID, tenant, transaction, buckets, uploads)
            return try Self.removeUpload(bucket, key, uploadID, transaction, uploads, parts, blobs)
        }
        await removeBlobs(removed)
    }

    public func listParts(bucket: String, key: String, tenant: String, uploadID: String, after: Int, maxParts: Int) async throws -> (parts: [PartInfo], isTruncated: Bool) {
        let limit = max(1, min(maxParts, 1000))
        return try environment.read { transaction in
            _ = try Self.upload(bucket, key, uploadID, tenant, transaction, buckets, uploads)
            var found: [PartInfo] = []
            var truncated = false
            let prefix = LocalObjectIndex.partPrefix(uploadID)
            try transaction.scan(parts, from: LocalObjectIndex.partKey(uploadID, max(0, min(after, 10_000)) + 1)) { key, value in
                guard key.starts(with: prefix) else { return false }
                if found.count == limit { truncated = true; return false }
                found.append(try LocalObjectIndex.decode(LocalObjectIndex.PartRecord.self, value).info)
                return true
            }
            return (found, truncated)
        }
    }

    public func listMultipartUploads(bucket: String, tenant: String, prefix: String, afterKey: String?, afterUploadID: String?,
                                     maxUploads: Int) async throws -> [MultipartUploadInfo] {
        let limit = max(1, min(maxUploads, 1000))
        let bucketPrefix = LocalObjectIndex.bucketPrefix(bucket)
        let scanPrefix = bucketPrefix + Array(prefix.utf8).prefix(LocalObjectIndex.keyBytesInIndex)
        var start = scanPrefix
        if let afterKey {
            let marker = bucketPrefix + Array(afterKey.utf8).prefix(LocalObjectIndex.keyBytesInIndex)
            if start.lexicographicallyPrecedes(marker) { start = marker }
        }
        /// Whether an upload comes after the markers, in key then upload-id byte order.
        func isAfterMarkers(_ upload: MultipartUploadInfo) -> Bool {
            guard let afterKey else { return true }
            if upload.key != afterKey { return afterKey.utf8.lexicographicallyPrecedes(upload.key.utf8) }
            guard let afterUploadID else { return false }
            return afterUploadID.utf8.lexicographicallyPrecedes(upload.uploadID.utf8)
        }
        return try environment.read { transaction in
            _ = try Self.ownedBucket(bucket, tenant, transaction, buckets)
            var found: [MultipartUploadInfo] = []
            try transaction.scan(uploads, from: start) { key, value in
                guard key.starts(with: scanPrefix), found.count < limit else { return false }
                let info = try LocalObjectIndex.decode(LocalObjectIndex.UploadRecord.self, value).info
                if info.key.hasPrefix(prefix), isAfterMarkers(info) { found.append(info) }
                return true
            }
            // Index order is key order except among long keys sharing their indexed bytes.
            found.sort { $0.key == $1.key ? $0.uploadID.utf8.lexicographicallyPrecedes($1.uploadID.utf8) : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return found
        }
    }

    // MARK: - Steps

    static func upload(_ bucket: String, _ key: String, _ uploadID: String, _ tenant: String, _ transaction: borrowing LMDBTransaction,
                       _ buckets: LMDBDatabase, _ uploads: LMDBDatabase) throws -> LocalObjectIndex.UploadRecord {
        _ = try ownedBucket(bucket, tenant, transaction, buckets)
        guard !uploadID.isEmpty, !uploadID.utf8.contains(0),
              let stored = try transaction.get(uploads, LocalObjectIndex.uploadKey(bucket, key, uploadID)) else {
            throw ObjectStoreError.noSuchUpload(uploadID)
        }
        return try LocalObjectIndex.decode(LocalObjectIndex.UploadRecord.self, stored)
    }

    /// Deletes an upload and its parts from the index; answers the part blobs to unlink.
    static func removeUpload(_ bucket: String, _ key: String, _ uploadID: String, _ transaction: borrowing LMDBTransaction,
                             _ uploads: LMDBDatabase, _ parts: LMDBDatabase, _ blobs: LMDBDatabase) throws -> [String] {
        let prefix = LocalObjectIndex.partPrefix(uploadID)
        var partKeys: [[UInt8]] = []
        var partBlobs: [String] = []
        try transaction.scan(parts, from: prefix) { key, value in
            guard key.starts(with: prefix) else { return false }
            partKeys.append(Array(key))
            partBlobs.append(try LocalObjectIndex.decode(LocalObjectIndex.PartRecord.self, value).blob)
            return true
        }
        for key in partKeys { try transaction.delete(parts, key) }
        for blob in partBlobs { try transaction.delete(blobs, Array(blob.utf8)) }
        try transaction.delete(uploads, LocalObjectIndex.uploadKey(bucket, key, uploadID))
        return partBlobs
    }

    /// Appends a whole file to a staging file, 1 MiB at a time.
    func append(_ path: String, to staging: ObjectStaging) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ObjectStoreIOError(operation: "open part", code: errno) }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreIOError(operation: "read part", code: errno)
            }
            if count == 0 { return }
            try staging.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}
