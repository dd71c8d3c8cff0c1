import Foundation

/// A bucket and the tenant that owns it. Bucket names are global, as in S3.
public struct BucketInfo: Sendable, Hashable, Codable {
    public let name: String
    public let tenant: String
    public let createdAt: Date

    public init(name: String, tenant: String, createdAt: Date) {
        self.name = name
        self.tenant = tenant
        self.createdAt = createdAt
    }
}

/// What is known of a stored object.
public struct ObjectInfo: Sendable, Hashable, Codable {
    public let bucket: String
    public let key: String
    public let size: Int64
    /// The S3 ETag without quotes: MD5 hex of the content, or `md5-of-part-md5s-N` for a
    /// multipart object.
    public let etag: String
    public let contentType: String?
    /// User metadata (`x-amz-meta-*` names lower-cased, without the prefix).
    public let metadata: [String: String]
    public let lastModified: Date
    /// Parts of a multipart object; nil for a single-part one.
    public let partCount: Int?

    public init(bucket: String, key: String, size: Int64, etag: String, contentType: String?, metadata: [String: String], lastModified: Date, partCount: Int?) {
        self.bucket = bucket
        self.key = key
        self.size = size
        self.etag = etag
        self.contentType = contentType
        self.metadata = metadata
        self.lastModified = lastModified
        self.partCount = partCount
    }
}

/// Content type and user metadata given when an object is written.
public struct ObjectAttributes: Sendable, Hashable, Codable {
    public var contentType: String?
    public var metadata: [String: String]

    public init(contentType: String? = nil, metadata: [String: String] = [:]) {
        self.contentType = contentType
        self.metadata = metadata
    }
}

/// Where an object's bytes can be read from.
public enum ObjectContent: Sendable {
    /// A file on the local file system, read from `offset` (the object's first byte).
    case file(path: String, offset: Int64)
    /// The bytes themselves.
    case bytes([UInt8])
}

/// An object found by ``ObjectStore/getObject(bucket:key:tenant:)``.
public struct StoredObject: Sendable {
    public let info: ObjectInfo
    public let content: ObjectContent
}

/// One page of a listing. With a delimiter, keys that contain it after the prefix are rolled up
/// into ``commonPrefixes``.
public struct ObjectListing: Sendable {
    public let objects: [ObjectInfo]
    public let commonPrefixes: [String]
    public let isTruncated: Bool
    /// The last key or common prefix of this page: the `after` of the next page.
    public let nextAfter: String?
}

/// A multipart upload in progress.
public struct MultipartUploadInfo: Sendable, Hashable, Codable {
    public let uploadID: String
    public let bucket: String
    public let key: String
    public let attributes: ObjectAttributes
    public let initiatedAt: Date
}

/// An uploaded part.
public struct PartInfo: Sendable, Hashable, Codable {
    public let number: Int
    public let etag: String
    public let size: Int64
    public let lastModified: Date
}

/// A part named in a CompleteMultipartUpload request.
public struct CompletedPart: Sendable, Hashable {
    public let number: Int
    /// The ETag the client received for the part (quotes allowed).
    public let etag: String

    public init(number: Int, etag: String) {
        self.number = number
        self.etag = etag
    }
}

/// Blobs with an S3 data model: tenant-owned buckets of keyed objects.
///
/// Tenancy is enforced here: every call names the tenant, and a bucket of another tenant throws
/// ``ObjectStoreError/accessDenied``. Object keys are data, never paths: 1 to 1,024 bytes of
/// UTF-8 without NUL. A write is acknowledged only when content and index are on disk.
///
/// Writing is in two steps so that bodies stream: ``stage(limit:)`` gives a staging file the
/// caller fills as bytes arrive, then ``putObject(bucket:key:tenant:staged:attributes:)`` or
/// ``uploadPart(bucket:key:tenant:uploadID:partNumber:staged:)`` publishes it.
public protocol ObjectStore: Sendable {
    // Buckets
    func createBucket(_ name: String, tenant: String) async throws -> BucketInfo
    /// Deletes an empty bucket; ``ObjectStoreError/bucketNotEmpty`` otherwise.
    func deleteBucket(_ name: String, tenant: String) async throws
    /// The bucket when `tenant` owns it (``ObjectStoreError/noSuchBucket`` / ``ObjectStoreError/accessDenied`` otherwise).
    func bucket(_ name: String, tenant: String) async throws -> BucketInfo
    func listBuckets(tenant: String) async throws -> [BucketInfo]

    // Objects
    /// A new staging area for a body of at most `limit` bytes.
    func stage(limit: Int64) throws -> ObjectStaging
    func putObject(bucket: String, key: String, tenant: String, staged: ObjectStaging, attributes: ObjectAttributes) async throws -> ObjectInfo
    func headObject(bucket: String, key: String, tenant: String) async throws -> ObjectInfo
    func getObject(bucket: String, key: String, tenant: String) async throws -> StoredObject
    /// Deletes the object; answers whether it existed.
    @discardableResult
    func deleteObject(bucket: String, key: String, tenant: String) async throws -> Bool
    /// Copies an object; `attributes` nil keeps the source's content type and metadata.
    func copyObject(fromBucket: String, fromKey: String, toBucket: String, toKey: String, tenant: String, attributes: ObjectAttributes?) async throws -> ObjectInfo
    /// Keys after `after` (exclusive) that start with `prefix`, in byte order, at most `maxKeys`
    /// entries (objects plus common prefixes).
    func listObjects(bucket: String, tenant: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int) async throws -> ObjectListing

    // Multipart
    func createMultipartUpload(bucket: String, key: String, tenant: String, attributes: ObjectAttributes) async throws -> MultipartUploadInfo
    /// Stores part `partNumber` (1...10,000), replacing an earlier upload of the same number.
    func uploadPart(bucket: String, key: String, tenant: String, uploadID: String, partNumber: Int, staged: ObjectStaging) async throws -> PartInfo
    /// Joins the named parts (ascending numbers; all but the last at least 5 MiB) into the object.
    func completeMultipartUpload(bucket: String, key: String, tenant: String, uploadID: String, parts: [CompletedPart]) async throws -> ObjectInfo
    func abortMultipartUpload(bucket: String, key: String, tenant: String, uploadID: String) async throws
    /// Parts with a number above `after`, ascending, at most `maxParts`.
    func listParts(bucket: String, key: String, tenant: String, uploadID: String, after: Int, maxParts: Int) async throws -> (parts: [PartInfo], isTruncated: Bool)
    /// Uploads in progress whose key starts with `prefix`, ordered by key then upload id, after
    /// (`afterKey`, `afterUploadID`) when given (an upload id nil: after every upload of that key),
    /// at most `maxUploads` (≤ 1,000).
    func listMultipartUploads(bucket: String, tenant: String, prefix: String, afterKey: String?, afterUploadID: String?,
                              maxUploads: Int) async throws -> [MultipartUploadInfo]
}

extension ObjectStore {
    /// The first uploads in progress whose key starts with `prefix`.
    public func listMultipartUploads(bucket: String, tenant: String, prefix: String, maxUploads: Int) async throws -> [MultipartUploadInfo] {
        try await listMultipartUploads(bucket: bucket, tenant: tenant, prefix: prefix, afterKey: nil, afterUploadID: nil, maxUploads: maxUploads)
    }

    /// Writes `bytes` as an object in one call (checkpoint state, avatars).
    @discardableResult
    public func putObject(bucket: String, key: String, tenant: String, bytes: [UInt8], attributes: ObjectAttributes = ObjectAttributes()) async throws -> ObjectInfo {
        let staging = try stage(limit: Int64(bytes.count))
        do {
            try bytes.withUnsafeBytes { try staging.write($0) }
            return try await putObject(bucket: bucket, key: key, tenant: tenant, staged: staging, attributes: attributes)
        } catch {
            staging.discard()
            throw error
        }
    }

    /// Reads a whole object into memory (for small objects such as checkpoint state).
    public func readObject(bucket: String, key: String, tenant: String) async throws -> [UInt8] {
        let object = try await getObject(bucket: bucket, key: key, tenant: tenant)
        switch object.content {
        case .bytes(let bytes): return bytes
        case .file(let path, let offset):
            guard let handle = FileHandle(forReadingAtPath: path) else { throw ObjectStoreError.noSuchKey(key) }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            return [UInt8](try handle.read(upToCount: Int(object.info.size)) ?? Data())
        }
    }
}

/// The S3 error vocabulary of the object store (the S3 listener maps each to its code).
public enum ObjectStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchBucket(String)
    case noSuchKey(String)
    case noSuchUpload(String)
    case bucketAlreadyExists(String)
    case bucketAlreadyOwnedByYou(String)
    case bucketNotEmpty(String)
    case accessDenied
    case invalidBucketName(String)
    case invalidKey(String)
    case entityTooLarge(limit: Int64)
    case entityTooSmall(part: Int)
    case invalidPart(Int)
    case invalidPartOrder
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .noSuchBucket(let name): "The specified bucket does not exist: \(name)"
        case .noSuchKey(let key): "The specified key does not exist: \(key)"
        case .noSuchUpload(let id): "The specified multipart upload does not exist: \(id)"
        case .bucketAlreadyExists(let name): "The requested bucket name is not available: \(name)"
        case .bucketAlreadyOwnedByYou(let name): "You already own the bucket \(name)"
        case .bucketNotEmpty(let name): "The bucket you tried to delete is not empty: \(name)"
        case .accessDenied: "Access Denied"
        case .invalidBucketName(let reason): "The specified bucket is not valid: \(reason)"
        case .invalidKey(let reason): "Invalid object key: \(reason)"
        case .entityTooLarge(let limit): "Your proposed upload exceeds the maximum allowed size of \(limit) bytes"
        case .entityTooSmall(let part): "Part \(part) is smaller than the minimum allowed size of 5 MiB"
        case .invalidPart(let part): "Part \(part) could not be found or its ETag does not match"
        case .invalidPartOrder: "The list of parts was not in ascending order"
        case .invalidArgument(let reason): reason
        }
    }
}
