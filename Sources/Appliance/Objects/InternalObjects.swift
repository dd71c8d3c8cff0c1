import Foundation
import Storage

/// The appliance's own objects in the object store: Core avatars and checkpoint state, at the
/// keys DESIGN §2 fixes (`scaicore/{tenant_id}/{core_id}/avatar`,
/// `scaicore/{tenant_id}/{core_id}/checkpoints/{checkpoint_id}.state`). They live in the bucket
/// `scaicore-system`, owned by the reserved owner `_system` that no tenant or S3 key can be:
/// S3 clients never see it, and every call here names the tenant in the key.
public struct InternalObjects: Sendable {
    public static let bucket = "scaicore-system"
    static let owner = "_system"
    /// Image types an avatar may have.
    public static let avatarTypes: Set<String> = ["image/png", "image/jpeg", "image/webp", "image/gif"]

    let store: any ObjectStore

    public init(store: any ObjectStore) { self.store = store }

    /// Creates the bucket when it does not exist yet.
    func ensureBucket() async throws {
        do { _ = try await store.createBucket(Self.bucket, tenant: Self.owner) } catch ObjectStoreError.bucketAlreadyOwnedByYou(_) {}
    }

    /// Writes and removes an object of `bytes` bytes (a health probe of the object store).
    func probe(bytes: Int) async throws {
        _ = try await store.putObject(bucket: Self.bucket, key: "_probe", tenant: Self.owner, bytes: Array(repeating: 0, count: bytes))
        _ = try await store.deleteObject(bucket: Self.bucket, key: "_probe", tenant: Self.owner)
    }

    public static func avatarKey(tenantID: String, coreID: String) -> String { "scaicore/\(tenantID)/\(coreID)/avatar" }

    public static func checkpointKey(tenantID: String, coreID: String, checkpointID: String) -> String {
        "scaicore/\(tenantID)/\(coreID)/checkpoints/\(checkpointID).state"
    }

    /// Stores a Core's avatar (durable when this returns).
    public func putAvatar(tenantID: String, coreID: String, bytes: [UInt8], contentType: String) async throws -> ObjectInfo {
        try await store.putObject(bucket: Self.bucket, key: Self.avatarKey(tenantID: tenantID, coreID: coreID), tenant: Self.owner,
                                  bytes: bytes, attributes: ObjectAttributes(contentType: contentType))
    }

    /// A Core's avatar and its content type, or nil.
    public func avatar(tenantID: String, coreID: String) async throws -> (bytes: [UInt8], info: ObjectInfo)? {
        let key = Self.avatarKey(tenantID: tenantID, coreID: coreID)
        do {
            let info = try await store.headObject(bucket: Self.bucket, key: key, tenant: Self.owner)
            return (try await store.readObject(bucket: Self.bucket, key: key, tenant: Self.owner), info)
        } catch ObjectStoreError.noSuchKey(_) {
            return nil
        }
    }

    /// Removes a Core's avatar; answers whether there was one.
    @discardableResult
    public func deleteAvatar(tenantID: String, coreID: String) async throws -> Bool {
        try await store.deleteObject(bucket: Self.bucket, key: Self.avatarKey(tenantID: tenantID, coreID: coreID), tenant: Self.owner)
    }

    /// Stores the serialised state of a suspended run (durable when this returns).
    public func putCheckpointState(tenantID: String, coreID: String, checkpointID: String, state: [UInt8]) async throws {
        try await store.putObject(bucket: Self.bucket, key: Self.checkpointKey(tenantID: tenantID, coreID: coreID, checkpointID: checkpointID),
                                  tenant: Self.owner, bytes: state, attributes: ObjectAttributes(contentType: "application/octet-stream"))
    }

    /// The stored state of a checkpoint, or nil.
    public func checkpointState(tenantID: String, coreID: String, checkpointID: String) async throws -> [UInt8]? {
        do {
            return try await store.readObject(bucket: Self.bucket, key: Self.checkpointKey(tenantID: tenantID, coreID: coreID, checkpointID: checkpointID),
                                              tenant: Self.owner)
        } catch ObjectStoreError.noSuchKey(_) {
            return nil
        }
    }
}
