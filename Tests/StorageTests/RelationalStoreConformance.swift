import Foundation
import Storage
import Testing

/// The behaviour every RelationalStore adapter must show. Each adapter's test suite calls
/// `runAll` with a factory for fresh, empty stores (SQLite now; MariaDB with its driver).
enum RelationalStoreConformance {
    static func runAll(_ makeStore: () throws -> any RelationalStore) async throws {
        try await writesAreCommittedAndReadBack(makeStore())
        try await aThrowingWriteRollsBackEverything(makeStore())
        try await uniqueViolationsAreTyped(makeStore())
        try await valuesRoundTripByType(makeStore())
        try await concurrentWritesAreSerialised(makeStore())
        try await migrationsApplyOnceAndInOrder(makeStore())
        try await selectStarNamesAColumnAddedAfterItFirstRan(makeStore())
        try await closedStoreRefusesWork(makeStore())
    }

    static func table(_ store: any RelationalStore) async throws {
        let d = store.dialect
        try await store.write { db in
            try db.execute("CREATE TABLE items (id \(d.idType) NOT NULL PRIMARY KEY, n \(d.integerType) NOT NULL)\(d.tableOptions)")
        }
    }

    static func writesAreCommittedAndReadBack(_ store: any RelationalStore) async throws {
        try await table(store)
        let changed = try await store.write { db in
            try db.execute("INSERT INTO items (id, n) VALUES (?, ?), (?, ?)", ["a", 1, "b", 2])
        }
        #expect(changed == 2)
        let rows = try await store.read { db in try db.query("SELECT id, n FROM items ORDER BY id", []) }
        #expect(try rows.map { try $0.text("id") } == ["a", "b"])
        #expect(try rows.map { try $0.integer("n") } == [1, 2])
        await store.close()
    }

    /// A statement run before a migration added a column (and cached by the adapter) names the
    /// new column afterwards, on the writer and on readers alike.
    static func selectStarNamesAColumnAddedAfterItFirstRan(_ store: any RelationalStore) async throws {
        try await table(store)
        try await store.write { db in _ = try db.execute("INSERT INTO items (id, n) VALUES (?, ?)", ["a", 1]) }
        for _ in 0..<4 {  // touch every reader the adapter pools, so each caches the statement
            _ = try await store.read { db in try db.query("SELECT * FROM items", []) }
        }
        _ = try await store.write { db in try db.query("SELECT * FROM items", []) }
        try await store.write { db in
            _ = try db.execute("ALTER TABLE items ADD COLUMN extra \(store.dialect.integerType) NOT NULL DEFAULT 7")
        }
        let written = try await store.write { db in try db.queryOne("SELECT * FROM items")?.integer("extra") }
        #expect(written == 7)
        for _ in 0..<4 {
            let read = try await store.read { db in try db.queryOne("SELECT * FROM items")?.integer("extra") }
            #expect(read == 7)
        }
        await store.close()
    }

    struct Boom: Error {}

    static func aThrowingWriteRollsBackEverything(_ store: any RelationalStore) async throws {
        try await table(store)
        await #expect(throws: Boom.self) {
            try await store.write { db in
                try db.execute("INSERT INTO items (id, n) VALUES (?, ?)", ["a", 1])
                throw Boom()
            }
        }
        let count = try await store.read { db in try db.queryOne("SELECT COUNT(*) AS c FROM items")?.integer("c") }
        #expect(count == 0)
        await store.close()
    }

    static func uniqueViolationsAreTyped(_ store: any RelationalStore) async throws {
        try await table(store)
        try await store.write { db in try db.execute("INSERT INTO items (id, n) VALUES (?, ?)", ["a", 1]) }
        await #expect {
            try await store.write { db in try db.execute("INSERT INTO items (id, n) VALUES (?, ?)", ["a", 2]) }
        } throws: { error in
            if case StorageError.uniqueViolation = error { return true } else { return false }
        }
        await store.close()
    }

    static func valuesRoundTripByType(_ store: any RelationalStore) async throws {
        let d = store.dialect
        try await store.write { db in
            try db.execute("CREATE TABLE v (t \(d.longTextType), i \(d.integerType), b \(d.blobType), r DOUBLE)\(d.tableOptions)")
            try db.execute("INSERT INTO v (t, i, b, r) VALUES (?, ?, ?, ?)", [.text("héllo ✓ \u{0}x"), .integer(.max), .blob([0, 255, 7]), .real(2.5)])
            try db.execute("INSERT INTO v (t, i, b, r) VALUES (?, ?, ?, ?)", [.null, .integer(.min), .blob([]), .null])
        }
        let rows = try await store.read { db in try db.query("SELECT * FROM v ORDER BY i DESC", []) }
        #expect(rows[0]["t"] == .text("héllo ✓ \u{0}x"))
        #expect(rows[0]["i"] == .integer(.max))
        #expect(rows[0]["b"] == .blob([0, 255, 7]))
        #expect(rows[0]["r"] == .real(2.5))
        #expect(rows[1]["t"] == .null)
        #expect(rows[1]["i"] == .integer(.min))
        await store.close()
    }

    static func concurrentWritesAreSerialised(_ store: any RelationalStore) async throws {
        try await table(store)
        try await store.write { db in try db.execute("INSERT INTO items (id, n) VALUES ('counter', 0)") }
        // Read-modify-write in each transaction: lost updates would show as a smaller total.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await store.write { db in
                        let n = try db.queryOne("SELECT n FROM items WHERE id = 'counter'")?.integer("n") ?? -1000
                        try db.execute("UPDATE items SET n = ? WHERE id = 'counter'", [.integer(n + 1)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await store.read { db in try db.queryOne("SELECT n FROM items WHERE id = 'counter'")?.integer("n") }
        #expect(total == 50)
        await store.close()
    }

    static func migrationsApplyOnceAndInOrder(_ store: any RelationalStore) async throws {
        let first = Migration(version: 1, name: "one") { d in ["CREATE TABLE m1 (id \(d.idType) NOT NULL PRIMARY KEY)\(d.tableOptions)"] }
        let second = Migration(version: 2, name: "two") { _ in ["INSERT INTO m1 (id) VALUES ('x')"] }
        #expect(try await Migrator([second, first]).migrate(store, now: { "t" }) == [1, 2])
        #expect(try await Migrator([first, second]).migrate(store, now: { "t" }) == [])
        #expect(try await Migrator([first, second]).appliedVersions(store) == [1, 2])
        let rows = try await store.read { db in try db.query("SELECT id FROM m1", []) }
        #expect(rows.count == 1)
        // A binary that knows fewer migrations than the database has must refuse it.
        await #expect(throws: MigrationError.self) { try await Migrator([first]).migrate(store, now: { "t" }) }
        await store.close()
    }

    static func closedStoreRefusesWork(_ store: any RelationalStore) async throws {
        await store.close()
        await #expect(throws: StorageError.closed) { try await store.ping() }
        await #expect(throws: StorageError.closed) { try await store.write { db in try db.execute("SELECT 1") } }
    }
}
