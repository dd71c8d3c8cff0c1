import Foundation
import Storage
import Testing

@Suite struct LMDBKeyValueStoreTests {
    /// Every store lives in an environment shared with another adapter's databases, as in the
    /// appliance.
    static let databases = LMDBKeyValueStore.databases + LMDBGrainDirectory.databases

    @Test(arguments: KeyValueStoreConformance.checks)
    func conformance(_ check: KeyValueStoreConformance.Check) async throws {
        try await withTemporaryDirectory("lmdb-kv") { directory in
            let environment = try LMDBEnvironment(path: directory.path, databases: Self.databases)
            try await check.run(LMDBKeyValueStore(environment: environment))
        }
    }

    @Test func dataSurvivesClosingAndReopening() async throws {
        try await withTemporaryDirectory("lmdb-kv-reopen") { directory in
            let scope = KeyValueStoreConformance.scope
            try await Self.writeAndClose(at: directory.path, scope: scope)
            // Every reference to the first environment is gone: this is a fresh open of the files.
            let environment = try LMDBEnvironment(path: directory.path, databases: Self.databases)
            let store = LMDBKeyValueStore(environment: environment)
            #expect(try await store.get("kept", in: scope) == Array("value".utf8))
            #expect(try await store.get("counter", in: scope) == Array("3".utf8))
            #expect(try await store.get("with-ttl", in: scope) == Array("later".utf8))
            #expect(try await store.get("deleted", in: scope) == nil)
            #expect(try await store.scan(prefix: "", after: nil, limit: 10, in: scope).entries.map(\.key) == ["counter", "kept", "with-ttl"])
            // The expiry index survived too: nothing is due yet, and writes go on.
            #expect(try await store.purgeExpired() == 0)
            #expect(try await store.increment("counter", by: 1, ttl: nil, in: scope) == 4)
        }
    }

    private static func writeAndClose(at path: String, scope: KeyValueScope) async throws {
        let environment = try LMDBEnvironment(path: path, databases: databases)
        let store = LMDBKeyValueStore(environment: environment)
        try await store.put("kept", Array("value".utf8), in: scope)
        try await store.put("with-ttl", Array("later".utf8), ttl: .seconds(3600), in: scope)
        try await store.put("deleted", Array("x".utf8), in: scope)
        _ = try await store.delete("deleted", in: scope)
        for _ in 0..<3 { _ = try await store.increment("counter", by: 1, ttl: nil, in: scope) }
    }

    @Test func theMapGrowsWhenWritesDoNotFit() async throws {
        try await withTemporaryDirectory("lmdb-kv-growth") { directory in
            let initial = 1 << 20
            let environment = try LMDBEnvironment(path: directory.path, databases: Self.databases,
                                                  options: LMDBEnvironment.Options(mapSize: initial))
            let store = LMDBKeyValueStore(environment: environment)
            let scope = KeyValueStoreConformance.scope
            let base = randomBytes(100 << 10)
            @Sendable func value(_ index: Int) -> [UInt8] {
                var bytes = base
                bytes[0] = UInt8(index >> 8)
                bytes[1] = UInt8(index & 0xFF)
                return bytes
            }
            // 400 × 100 KiB = 40 MiB into a 1 MiB map: one by one first, then 50 at a time so
            // that group commits have to grow the map too.
            for index in 0..<40 { try await store.put("blob-\(index)", value(index), in: scope) }
            for batch in 0..<8 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for offset in 0..<45 {
                        let index = 40 + batch * 45 + offset
                        group.addTask { try await store.put("blob-\(index)", value(index), in: scope) }
                    }
                    try await group.waitForAll()
                }
            }
            for index in 0..<400 {
                let stored = try await store.get("blob-\(index)", in: scope)
                #expect(stored == value(index), "blob-\(index)")
            }
            #expect(environment.currentMapSize > initial)
            #expect(environment.currentMapSize >= 40 << 20)
        }
    }
}
