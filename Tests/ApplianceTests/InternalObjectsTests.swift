import Appliance
import Foundation
import Storage
import Testing

/// The appliance's own objects (checkpoint state, avatars) live in the object store, out of every tenant's reach.
@Suite struct InternalObjectsTests {
    @Test func checkpointStateRoundTripsAtItsKey() async throws {
        let test = try await TestAppliance.make()
        try await test.appliance.start()
        let objects = test.appliance.internalObjects
        let state: [UInt8] = Array("SCES".utf8) + (0..<5000).map { UInt8(truncatingIfNeeded: $0) }
        try await objects.putCheckpointState(tenantID: test.first.tenantID, coreID: "core_1", checkpointID: "cp_1", state: state)
        #expect(try await objects.checkpointState(tenantID: test.first.tenantID, coreID: "core_1", checkpointID: "cp_1") == state)
        #expect(try await objects.checkpointState(tenantID: test.second.tenantID, coreID: "core_1", checkpointID: "cp_1") == nil)
        let key = InternalObjects.checkpointKey(tenantID: test.first.tenantID, coreID: "core_1", checkpointID: "cp_1")
        #expect(key == "scaicore/\(test.first.tenantID)/core_1/checkpoints/cp_1.state")
        let info = try await test.appliance.stores.objects.headObject(bucket: InternalObjects.bucket, key: key, tenant: "_system")
        #expect(info.size == Int64(state.count))
        await test.appliance.shutdown()
    }

    @Test func noTenantReachesTheSystemBucket() async throws {
        let test = try await TestAppliance.make()
        try await test.appliance.start()
        let store = test.appliance.stores.objects
        #expect(try await store.listBuckets(tenant: test.first.tenantID).isEmpty)
        await #expect(throws: ObjectStoreError.accessDenied) {
            _ = try await store.bucket(InternalObjects.bucket, tenant: test.first.tenantID)
        }
        await #expect(throws: ObjectStoreError.bucketAlreadyExists(InternalObjects.bucket)) {
            _ = try await store.createBucket(InternalObjects.bucket, tenant: test.second.tenantID)
        }
        await test.appliance.shutdown()
    }
}
