import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// One SQLite connection with a prepared-statement cache. Used by one thread at a time: its
/// owner (``SQLiteStore``) confines the writer to a serial queue and checks readers out of a
/// pool exclusively (SQLite's multi-thread mode allows exactly that).
final class SQLiteConnection: SQLConnection, @unchecked Sendable {
    var dialect: SQLDialect { .sqlite }
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private static let statementCacheLimit = 256

    init(path: String, options: SQLiteOptions, queryOnly: Bool) throws(StorageError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard let db else { throw .unavailable("cannot open SQLite database at \(path) (code \(code))") }
        guard code == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(db))
            sqlite3_close_v2(db)
            throw .unavailable("cannot open SQLite database at \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Int32(clamping: options.busyTimeoutMilliseconds))
        do throws(StorageError) {
            if !queryOnly {
                let mode = try query("PRAGMA journal_mode=WAL", []).first?.values.first
                guard mode == .text("wal") else { throw StorageError.unavailable("cannot switch \(path) to WAL mode") }
            }
            try execute("PRAGMA synchronous=\(options.synchronous.rawValue)", [])
            try execute("PRAGMA foreign_keys=ON", [])
            if queryOnly { try execute("PRAGMA query_only=ON", []) }
        } catch {
            close()
            throw error
        }
    }

    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws(StorageError) -> Int {
        let statement = try prepared(sql, arguments)
        defer { release(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            if code != SQLITE_ROW { throw error(code, sql) }
        }
        return Int(sqlite3_changes(handle))
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws(StorageError) -> [SQLRow] {
        let statement = try prepared(sql, arguments)
        defer { release(statement) }
        // The columns are read after the first step: a cached statement is compiled again there
        // when the schema changed since it was prepared (a migration adding a column), and only
        // then does `SELECT *` name the new columns.
        var columns: [String]?
        var rows: [SQLRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code, sql) }
            let names = columns ?? (0..<sqlite3_column_count(statement)).map { String(cString: sqlite3_column_name(statement, $0)) }
            columns = names
            rows.append(SQLRow(columns: names, values: (0..<Int32(names.count)).map { column(statement, $0) }))
        }
        return rows
    }

    // MARK: statements

    private func prepared(_ sql: String, _ arguments: [SQLValue]) throws(StorageError) -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var fresh: OpaquePointer?
            let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &fresh, nil)
            guard code == SQLITE_OK, let fresh else { throw error(code, sql) }
            if statements.count >= Self.statementCacheLimit {
                for old in statements.values { sqlite3_finalize(old) }
                statements.removeAll()
            }
            statements[sql] = fresh
            statement = fresh
        }
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == arguments.count else {
            throw .statement("\(sql): expects \(expected) arguments, got \(arguments.count)")
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32 =
                switch argument {
                case .null: sqlite3_bind_null(statement, index)
                case .integer(let value): sqlite3_bind_int64(statement, index, value)
                case .real(let value): sqlite3_bind_double(statement, index, value)
                case .text(var value):
                    // Explicit byte length: text may hold NUL characters.
                    value.withUTF8 { utf8 in
                        utf8.withMemoryRebound(to: CChar.self) {
                            sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), csqlite_transient())
                        }
                    }
                case .blob(let bytes):
                    bytes.isEmpty
                        ? sqlite3_bind_zeroblob(statement, index, 0)
                        : bytes.withUnsafeBytes {
                            sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), csqlite_transient())
                        }
                }
            guard code == SQLITE_OK else {
                release(statement)
                throw error(code, sql)
            }
        }
        return statement
    }

    private func release(_ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let length = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(statement, index))
            guard length > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: length)))
        default: return .null
        }
    }

    // Extended result codes; Swift does not import SQLite's composite macros.
    private static let constraintUnique: Int32 = 2067  // SQLITE_CONSTRAINT | (8 << 8)
    private static let constraintPrimaryKey: Int32 = 1555  // SQLITE_CONSTRAINT | (6 << 8)

    private func error(_ code: Int32, _ sql: String) -> StorageError {
        let message = String(cString: sqlite3_errmsg(handle))
        switch code {
        case Self.constraintUnique, Self.constraintPrimaryKey: return .uniqueViolation(message)
        case _ where code & 0xff == SQLITE_CONSTRAINT: return .constraintViolation(message)
        case _ where code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED: return .busy(message)
        case _ where code & 0xff == SQLITE_ERROR || code & 0xff == SQLITE_RANGE || code & 0xff == SQLITE_MISUSE:
            return .statement("\(message) in: \(sql)")
        case _ where code & 0xff == SQLITE_FULL: return .full("\(message) (SQLite code \(code))")
        case _ where code & 0xff == SQLITE_IOERR && [ENOSPC, EDQUOT].contains(sqlite3_system_errno(handle)):
            // SQLite reports ENOSPC as SQLITE_FULL, but a full quota as a write error.
            return .full("\(message) (SQLite code \(code), \(String(cString: strerror(sqlite3_system_errno(handle)))))")
        case _ where code & 0xff == SQLITE_IOERR: return .io("\(message) (SQLite code \(code))")
        default: return .unavailable("\(message) (SQLite code \(code))")
        }
    }
}
