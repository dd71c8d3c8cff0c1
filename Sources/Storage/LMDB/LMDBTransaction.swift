import CLMDB

/// A named database inside an ``LMDBEnvironment``: a handle, valid for the environment's life.
public struct LMDBDatabase: Sendable, Hashable {
    let handle: MDB_dbi

    /// The `MDB_dbi`, for direct C calls (benchmarks).
    public var rawHandle: UInt32 { handle }
}

/// A transaction, lent to the body of ``LMDBEnvironment/read(_:)`` or ``LMDBEnvironment/write(_:)``.
/// It is non-copyable and only borrowed, so it cannot outlive the body: the environment commits
/// or aborts it when the body returns.
public struct LMDBTransaction: ~Copyable {
    let pointer: OpaquePointer

    /// The value stored under `key`, copied out of the map, or nil.
    public func get(_ database: LMDBDatabase, _ key: some Collection<UInt8>) throws(LMDBError) -> [UInt8]? {
        try withValue(database, key) { $0.map(Array.init) }
    }

    /// Lends the stored bytes (valid only inside `body`) without copying them.
    public func withValue<T>(_ database: LMDBDatabase, _ key: some Collection<UInt8>,
                             _ body: (UnsafeRawBufferPointer?) throws(LMDBError) -> T) throws(LMDBError) -> T {
        var data = MDB_val()
        let code = withKey(key) { keyValue in mdb_get(pointer, database.handle, &keyValue, &data) }
        if code == MDB_NOTFOUND { return try body(nil) }
        try check(code)
        return try body(UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
    }

    /// Stores `value` under `key`. With `overwrite: false` an existing key throws ``LMDBError/keyExists``.
    public func put(_ database: LMDBDatabase, _ key: some Collection<UInt8>, _ value: some Collection<UInt8>, overwrite: Bool = true) throws(LMDBError) {
        var keyBytes = Array(key)
        var valueBytes = Array(value)
        let flags: UInt32 = overwrite ? 0 : UInt32(MDB_NOOVERWRITE)
        let code = keyBytes.withUnsafeMutableBytes { rawKey in
            valueBytes.withUnsafeMutableBytes { rawValue in
                var keyValue = MDB_val(mv_size: rawKey.count, mv_data: rawKey.baseAddress)
                var dataValue = MDB_val(mv_size: rawValue.count, mv_data: rawValue.baseAddress)
                return mdb_put(pointer, database.handle, &keyValue, &dataValue, flags)
            }
        }
        try check(code)
    }

    /// Deletes `key`; answers whether it was there.
    @discardableResult
    public func delete(_ database: LMDBDatabase, _ key: some Collection<UInt8>) throws(LMDBError) -> Bool {
        let code = withKey(key) { keyValue in mdb_del(pointer, database.handle, &keyValue, nil) }
        if code == MDB_NOTFOUND { return false }
        try check(code)
        return true
    }

    /// Lends `key` as an `MDB_val` without copying when its bytes are contiguous (LMDB only reads
    /// a key it is given).
    private func withKey<T>(_ key: some Collection<UInt8>, _ body: (inout MDB_val) -> T) -> T {
        if let result = key.withContiguousStorageIfAvailable({ buffer in
            var value = MDB_val(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
            return body(&value)
        }) {
            return result
        }
        var copy = Array(key)
        return copy.withUnsafeMutableBytes { raw in
            var value = MDB_val(mv_size: raw.count, mv_data: raw.baseAddress)
            return body(&value)
        }
    }

    /// Visits entries in key order starting at the first key ≥ `start`, while `visit` answers
    /// true. Keys and values are lent (valid only during the call).
    public func scan(_ database: LMDBDatabase, from start: some Collection<UInt8>,
                     _ visit: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(pointer, database.handle, &cursor))
        guard let cursor else { throw LMDBError.badTransaction }
        defer { mdb_cursor_close(cursor) }
        var startBytes = Array(start)
        var key = MDB_val()
        var data = MDB_val()
        var code: Int32 = startBytes.withUnsafeMutableBytes { raw in
            key = MDB_val(mv_size: raw.count, mv_data: raw.baseAddress)
            return raw.isEmpty ? mdb_cursor_get(cursor, &key, &data, MDB_FIRST) : mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
        }
        while code == 0 {
            let keep = try visit(UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                                 UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
            if !keep { return }
            code = mdb_cursor_get(cursor, &key, &data, MDB_NEXT)
        }
        if code != MDB_NOTFOUND { try check(code) }
    }
}
