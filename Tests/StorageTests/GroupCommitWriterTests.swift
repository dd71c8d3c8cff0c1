import Foundation
import Storage
import Testing

@Suite struct GroupCommitWriterTests {
    private func store() throws -> SQLiteStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gcw-\(UUID().uuidString).sqlite").path
        return try SQLiteStore(path: path)
    }

    @Test func concurrentWritesAllCommitAndAnswerTheirOwnResults() async throws {
        let store = try store()
        try await store.write { db in try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)") }
        let writer = GroupCommitWriter(store: store)
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await writer.write { db in
                        try db.execute("INSERT INTO t (id, v) VALUES (?, ?)", [.integer(Int64(index)), .text("v\(index)")])
                        return index
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(answers.sorted() == Array(0..<200))
        let count = try await store.read { db in try db.queryOne("SELECT COUNT(*) AS n FROM t")?.integer("n") }
        #expect(count == 200)
        await store.close()
    }

    @Test func aFailingWriteRollsBackAloneAndItsCallerGetsTheError() async throws {
        let store = try store()
        try await store.write { db in try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
        let writer = GroupCommitWriter(store: store)
        // Every odd write inserts a row and then collides with an existing key: its own insert must vanish too.
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<100 {
                group.addTask {
                    do {
                        try await writer.write { db in
                            try db.execute("INSERT INTO t (id) VALUES (?)", [.integer(Int64(1000 + index))])
                            if index % 2 == 1 { try db.execute("INSERT INTO t (id) VALUES (?)", [.integer(Int64(1000 + index))]) }
                        }
                        return (index, true)
                    } catch {
                        return (index, false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        for (index, succeeded) in outcomes { #expect(succeeded == (index % 2 == 0), "write \(index)") }
        let ids = try await store.read { db in try db.query("SELECT id FROM t ORDER BY id", []).map { try $0.integer("id") } }
        let expected: [Int64] = stride(from: 1000, to: 1100, by: 2).map { Int64($0) }
        #expect(ids == expected)
        await store.close()
    }

    @Test func aLoneFailingWriteLeavesNothingAndTheNextWriteCommits() async throws {
        let store = try store()
        try await store.write { db in try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
        let writer = GroupCommitWriter(store: store)
        await #expect(throws: StorageError.self) {
            try await writer.write { db in
                try db.execute("INSERT INTO t (id) VALUES (1)")
                try db.execute("INSERT INTO t (id) VALUES (1)")
            }
        }
        try await writer.write { db in try db.execute("INSERT INTO t (id) VALUES (2)") }
        let ids = try await store.read { db in try db.query("SELECT id FROM t ORDER BY id", []).map { try $0.integer("id") } }
        #expect(ids == [2])
        await store.close()
    }
}
