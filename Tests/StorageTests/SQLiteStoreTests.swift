import Foundation
import Storage
import Testing

@Suite struct SQLiteStoreTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func freshStore() throws -> any RelationalStore {
        try SQLiteStore(path: directory.appendingPathComponent("\(UUID().uuidString).sqlite").path)
    }

    @Test func passesTheRelationalStoreConformanceSuite() async throws {
        try await RelationalStoreConformance.runAll(freshStore)
    }

    @Test func usesWALAndForeignKeys() async throws {
        let store = try freshStore()
        let modes = try await store.read { db in
            (try db.queryOne("PRAGMA journal_mode")?.values.first, try db.queryOne("PRAGMA foreign_keys")?.values.first)
        }
        #expect(modes.0 == .text("wal"))
        #expect(modes.1 == .integer(1))
        await store.close()
    }

    @Test func dataSurvivesReopening() async throws {
        let path = directory.appendingPathComponent("reopen.sqlite").path
        let first = try SQLiteStore(path: path)
        try await first.write { db in
            try db.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")
            try db.execute("INSERT INTO t (id) VALUES ('kept')")
        }
        await first.close()
        let second = try SQLiteStore(path: path)
        let rows = try await second.read { db in try db.query("SELECT id FROM t", []) }
        #expect(rows.first?["id"] == .text("kept"))
        await second.close()
    }

    @Test func foreignKeysAreEnforced() async throws {
        let store = try freshStore()
        try await store.write { db in
            try db.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)")
            try db.execute("CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent(id))")
        }
        await #expect {
            try await store.write { db in try db.execute("INSERT INTO child (id, parent_id) VALUES ('c', 'missing')") }
        } throws: { error in
            if case StorageError.constraintViolation = error { true } else { false }
        }
        await store.close()
    }

    @Test func readersCannotWrite() async throws {
        let store = try freshStore()
        try await store.write { db in try db.execute("CREATE TABLE t (id TEXT)") }
        await #expect(throws: StorageError.self) { try await store.read { db in try db.execute("INSERT INTO t VALUES ('x')") } }
        await store.close()
    }

    @Test func badSQLIsAStatementError() async throws {
        let store = try freshStore()
        await #expect {
            try await store.read { db in try db.query("SELEKT 1", []) }
        } throws: { error in
            if case StorageError.statement = error { true } else { false }
        }
        await #expect {
            try await store.read { db in try db.query("SELECT ?", []) }
        } throws: { error in
            if case StorageError.statement = error { true } else { false }
        }
        await store.close()
    }

    @Test func anUnusablePathIsReportedNotCrashed() {
        #expect(throws: StorageError.self) { try SQLiteStore(path: "/proc/definitely/not/here.sqlite") }
    }
}
