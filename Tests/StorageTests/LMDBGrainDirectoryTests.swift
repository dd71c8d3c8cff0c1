import Foundation
import Storage
import Testing

@Suite struct LMDBGrainDirectoryTests {
    static let databases = LMDBGrainDirectory.databases + LMDBKeyValueStore.databases

    @Test(arguments: GrainDirectoryConformance.checks)
    func conformance(_ check: GrainDirectoryConformance.Check) async throws {
        try await withTemporaryDirectory("lmdb-grains") { directory in
            let environment = try LMDBEnvironment(path: directory.path, databases: Self.databases)
            try await check.run(LMDBGrainDirectory(environment: environment))
        }
    }

    @Test func entriesSurviveClosingAndReopening() async throws {
        try await withTemporaryDirectory("lmdb-grains-reopen") { directory in
            let (owned, expiring) = try await Self.registerAndClose(at: directory.path)
            let environment = try LMDBEnvironment(path: directory.path, databases: Self.databases)
            let grains = LMDBGrainDirectory(environment: environment)
            let found = try #require(try await grains.lookup(grain: owned.grain))
            #expect(found.node == owned.node)
            #expect(found.activation == owned.activation)
            #expect(abs(found.leaseExpiresAt.timeIntervalSince(owned.leaseExpiresAt)) < 0.001)
            // First writer still wins after the restart, and the owner still owns.
            #expect(try await grains.register(grain: owned.grain, node: "node-b", activation: "act-2", lease: .seconds(30)).activation == owned.activation)
            #expect(try await grains.renew(owned, lease: .seconds(60)) != nil)
            #expect(try await grains.unregister(owned) == true)
            // Lease times are absolute: an entry whose lease passed while closed is free.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await grains.lookup(grain: expiring.grain) == nil)
            #expect(try await grains.unregisterAll(node: "node-a") == 1)
        }
    }

    private static func registerAndClose(at path: String) async throws -> (GrainAddress, GrainAddress) {
        let environment = try LMDBEnvironment(path: path, databases: databases)
        let grains = LMDBGrainDirectory(environment: environment)
        let owned = try await grains.register(grain: "t/c/customer/1", node: "node-a", activation: "act-1", lease: .seconds(30))
        let expiring = try await grains.register(grain: "t/c/customer/2", node: "node-a", activation: "act-1", lease: .milliseconds(200))
        return (owned, expiring)
    }
}
