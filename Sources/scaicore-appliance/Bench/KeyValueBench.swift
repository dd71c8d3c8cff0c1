import CLMDB
import Foundation
import Storage

/// Part 1 of `bench storage`: ``KeyValueStore`` get and put through the protocol (LMDB adapter)
/// against raw LMDB C calls made from this process on the same environment and the same keys.
struct KeyValueBench {
    let seconds: Double
    let directory: String

    func run() async throws {
        let environment = try LMDBEnvironment(path: directory + "/lmdb-bench", databases: LMDBKeyValueStore.databases)
        let store = LMDBKeyValueStore(environment: environment)
        let scope = KeyValueScope(tenant: "01JBENCHTENANT0000000000000", core: "core_01JBENCHCORE000000000000", scope: "memory")
        let keyCount = 10_000
        let keys = (0..<keyCount).map { String(format: "customer-%08d-profile-and-some-padding-to-64-bytes-xxxx", $0) }
        let value = [UInt8](repeating: 0x61, count: 256)
        // Load in parallel batches (the writer groups them into few commits).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: keyCount, by: 500) {
                group.addTask { for key in keys[chunk..<min(chunk + 500, keyCount)] { try await store.put(key, value, in: scope) } }
            }
            try await group.waitForAll()
        }
        let database = environment.database("kv")
        let fullKeys = keys.map { Array("\(scope.tenant)\0\(scope.core)\0\(scope.scope)\0\($0)".utf8) }

        // GET
        let protocolGets = try await rate(seconds) { index in
            _ = try await store.get(keys[index % keyCount], in: scope)
        }
        let rawGets = try rawRate(seconds) { index in
            environment.withUnsafeEnvironment { env in rawGet(env, database, fullKeys[index % keyCount]) }
        }
        print(String(format: "kv get:  protocol %.0f ops/s, raw LMDB (mdb_txn_begin+mdb_get per op) %.0f ops/s, ratio %.2f (target >= 0.5)",
                     protocolGets, rawGets, protocolGets / rawGets))

        // PUT, one client: one durable transaction per put on both sides.
        let protocolPuts = try await rate(seconds) { index in
            try await store.put(keys[index % keyCount], value, in: scope)
        }
        let rawPuts = try rawRate(seconds) { index in
            environment.withUnsafeEnvironment { env in rawPut(env, database, fullKeys[index % keyCount], value) }
        }
        print(String(format: "kv put:  protocol %.0f ops/s, raw LMDB (1 put per synced txn) %.0f ops/s, ratio %.2f (target >= 0.5)",
                     protocolPuts, rawPuts, protocolPuts / rawPuts))
        // PUT, 32 concurrent clients: the writer commits their puts together.
        let concurrentPuts = try await concurrentRate(seconds, clients: 32) { index in
            try await store.put(keys[index % keyCount], value, in: scope)
        }
        print(String(format: "kv put, 32 concurrent clients: protocol %.0f ops/s (group commit), %.1fx the raw one-put-per-txn rate",
                     concurrentPuts, concurrentPuts / rawPuts))
    }

    private func rawGet(_ env: OpaquePointer, _ database: LMDBDatabase, _ key: [UInt8]) {
        var transaction: OpaquePointer?
        guard mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &transaction) == 0, let transaction else { return }
        var keyBytes = key
        var data = MDB_val()
        keyBytes.withUnsafeMutableBytes { raw in
            var keyValue = MDB_val(mv_size: raw.count, mv_data: raw.baseAddress)
            _ = mdb_get(transaction, database.rawHandle, &keyValue, &data)
        }
        mdb_txn_abort(transaction)
    }

    private func rawPut(_ env: OpaquePointer, _ database: LMDBDatabase, _ key: [UInt8], _ value: [UInt8]) {
        var transaction: OpaquePointer?
        guard mdb_txn_begin(env, nil, 0, &transaction) == 0, let transaction else { return }
        var keyBytes = key
        // The adapter stores an 8-byte expiry before the value: write the same bytes.
        var valueBytes = [UInt8](repeating: 0, count: 8) + value
        keyBytes.withUnsafeMutableBytes { rawKey in
            valueBytes.withUnsafeMutableBytes { rawValue in
                var keyValue = MDB_val(mv_size: rawKey.count, mv_data: rawKey.baseAddress)
                var dataValue = MDB_val(mv_size: rawValue.count, mv_data: rawValue.baseAddress)
                _ = mdb_put(transaction, database.rawHandle, &keyValue, &dataValue, 0)
            }
        }
        mdb_txn_commit(transaction)
    }
}

/// Operations per second of `body` called in a loop for `seconds`.
func rate(_ seconds: Double, _ body: (Int) async throws -> Void) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while clock.now - start < .milliseconds(Int(seconds * 1000)) {
        for _ in 0..<16 {
            try await body(count)
            count += 1
        }
    }
    return Double(count) / (clock.now - start).seconds
}

/// The same for a synchronous body.
func rawRate(_ seconds: Double, _ body: (Int) throws -> Void) throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while clock.now - start < .milliseconds(Int(seconds * 1000)) {
        for _ in 0..<16 {
            try body(count)
            count += 1
        }
    }
    return Double(count) / (clock.now - start).seconds
}

/// Operations per second of `clients` concurrent loops of `body`.
func concurrentRate(_ seconds: Double, clients: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = start + .milliseconds(Int(seconds * 1000))
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for client in 0..<clients {
            group.addTask {
                var count = 0
                while clock.now < deadline {
                    try await body(client * 1_000_000 + count)
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    return Double(total) / (clock.now - start).seconds
}
