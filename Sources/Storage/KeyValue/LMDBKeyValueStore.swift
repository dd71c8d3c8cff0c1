import Foundation

/// ``KeyValueStore`` over an ``LMDBEnvironment``.
///
/// Layout: database `kv` maps `tenant NUL core NUL scope NUL key` to an 8-byte big-endian expiry
/// (milliseconds since 1970, 0 = never) followed by the value; database `kv_expiry` indexes keys
/// with an expiry as `expiry ‖ full key`, so purging is a scan of its head.
public struct LMDBKeyValueStore: KeyValueStore {
    /// The databases this adapter needs in its environment.
    public static let databases = ["kv", "kv_expiry"]

    private let environment: LMDBEnvironment
    private let values: LMDBDatabase
    private let expiries: LMDBDatabase
    private let now: @Sendable () -> Date

    public init(environment: LMDBEnvironment, now: @escaping @Sendable () -> Date = Date.init) {
        self.environment = environment
        values = environment.database("kv")
        expiries = environment.database("kv_expiry")
        self.now = now
    }

    public func get(_ key: String, in scope: KeyValueScope) async throws -> [UInt8]? {
        let full = try Self.fullKey(key, scope)
        let clock = milliseconds(now())
        return try environment.read { transaction in
            try transaction.withValue(values, full) { stored in stored.flatMap { Self.live($0, at: clock) }.map(Array.init) }
        }
    }

    public func put(_ key: String, _ value: [UInt8], ttl: Duration?, in scope: KeyValueScope) async throws {
        let full = try Self.fullKey(key, scope)
        try Self.checkValue(value)
        let expiry = expiry(ttl)
        try await environment.write { [values, expiries] transaction in
            try Self.store(full, value, expiry: expiry, values: values, expiries: expiries, transaction)
        }
    }

    public func delete(_ key: String, in scope: KeyValueScope) async throws -> Bool {
        let full = try Self.fullKey(key, scope)
        let clock = milliseconds(now())
        return try await environment.write { [values, expiries] transaction in
            let current = try Self.current(full, at: clock, values: values, transaction)
            try Self.remove(full, values: values, expiries: expiries, transaction)
            return current.value != nil
        }
    }

    public func compareAndSet(_ key: String, expected: [UInt8]?, new: [UInt8]?, ttl: Duration?, in scope: KeyValueScope) async throws -> Bool {
        let full = try Self.fullKey(key, scope)
        if let new { try Self.checkValue(new) }
        let clock = milliseconds(now())
        let expiry = expiry(ttl)
        return try await environment.write { [values, expiries] transaction in
            guard try Self.current(full, at: clock, values: values, transaction).value == expected else { return false }
            if let new {
                try Self.store(full, new, expiry: expiry, values: values, expiries: expiries, transaction)
            } else {
                try Self.remove(full, values: values, expiries: expiries, transaction)
            }
            return true
        }
    }

    public func increment(_ key: String, by delta: Int64, ttl: Duration?, in scope: KeyValueScope) async throws -> Int64 {
        let full = try Self.fullKey(key, scope)
        let clock = milliseconds(now())
        let newExpiry = expiry(ttl)
        return try await environment.write { [values, expiries] transaction in
            let current = try Self.current(full, at: clock, values: values, transaction)
            var number: Int64 = 0
            if let text = current.value {
                guard let parsed = Int64(String(decoding: text, as: UTF8.self)) else { throw KeyValueError.notAnInteger(key: key) }
                number = parsed
            }
            let (sum, overflow) = number.addingReportingOverflow(delta)
            guard !overflow else { throw KeyValueError.overflow(key: key) }
            let expiry = current.value == nil ? newExpiry : current.expiry
            try Self.store(full, Array(String(sum).utf8), expiry: expiry, values: values, expiries: expiries, transaction)
            return sum
        }
    }

    public func scan(prefix: String, after: String?, limit: Int, in scope: KeyValueScope) async throws -> KeyValuePage {
        let base = try Self.fullKey("", scope, allowEmpty: true)
        let start = try Self.fullKey(prefix, scope, allowEmpty: true)
        var from = start
        if let after, !after.isEmpty, !after.utf8.lexicographicallyPrecedes(prefix.utf8) {
            from = try Self.fullKey(after, scope) + [0]
        }
        let clock = milliseconds(now())
        let wanted = max(1, min(limit, 1000))
        return try environment.read { transaction in
            var entries: [KeyValueEntry] = []
            var more = false
            try transaction.scan(values, from: from) { key, stored in
                guard key.starts(with: start) else { return false }
                guard let value = Self.live(stored, at: clock) else { return true }
                if entries.count == wanted { more = true; return false }
                entries.append(KeyValueEntry(key: String(decoding: key.dropFirst(base.count), as: UTF8.self), value: Array(value)))
                return true
            }
            return KeyValuePage(entries: entries, next: more ? entries.last?.key : nil)
        }
    }

    public func purgeExpired() async throws -> Int {
        let clock = milliseconds(now())
        var total = 0
        while true {
            let removed = try await environment.write { [values, expiries] transaction in
                var due: [[UInt8]] = []
                try transaction.scan(expiries, from: []) { key, _ in
                    guard key.count > 8, Self.readExpiry(key) <= clock, due.count < 1000 else { return false }
                    due.append(Array(key))
                    return true
                }
                for entry in due {
                    let full = Array(entry.dropFirst(8))
                    try transaction.delete(expiries, entry)
                    // Only when the stored value still carries this expiry (it may have been rewritten).
                    let stillDue = try transaction.withValue(values, full) { stored in stored.map { Self.readExpiry($0) == Self.readExpiry(entry) } ?? false }
                    if stillDue { try transaction.delete(values, full) }
                }
                return due.count
            }
            total += removed
            if removed < 1000 { return total }
        }
    }

    // MARK: - Encoding

    private func milliseconds(_ date: Date) -> UInt64 { UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down))) }

    private func expiry(_ ttl: Duration?) -> UInt64 {
        guard let ttl else { return 0 }
        let (seconds, attoseconds) = ttl.components
        // Clamped: a TTL beyond ~292 million years is "never expires" for any practical purpose,
        // and must not overflow.
        let clampedSeconds = min(max(seconds, 0), Int64(Int32.max) * 1000)
        let ttlMilliseconds = max(1, clampedSeconds * 1000 + attoseconds / 1_000_000_000_000_000)
        return milliseconds(now()) &+ UInt64(ttlMilliseconds)
    }

    static func fullKey(_ key: String, _ scope: KeyValueScope, allowEmpty: Bool = false) throws(KeyValueError) -> [UInt8] {
        let keyCount = key.utf8.count
        guard allowEmpty || keyCount > 0 else { throw .invalidKey("a key must not be empty") }
        guard keyCount <= KeyValueStoreLimits.maxKeyBytes else { throw .invalidKey("longer than \(KeyValueStoreLimits.maxKeyBytes) bytes") }
        guard !scope.tenant.isEmpty, !scope.core.isEmpty, !scope.scope.isEmpty else {
            throw .invalidKey("the scope's tenant, core and scope must not be empty")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scope.tenant.utf8.count + scope.core.utf8.count + scope.scope.utf8.count + keyCount + 3)
        bytes += scope.tenant.utf8; bytes.append(0)
        bytes += scope.core.utf8; bytes.append(0)
        bytes += scope.scope.utf8; bytes.append(0)
        bytes += key.utf8
        // Exactly the three separators may be NUL: a NUL inside a part could forge another scope.
        var zeros = 0
        for byte in bytes where byte == 0 { zeros += 1 }
        guard zeros == 3 else { throw .invalidKey("NUL bytes are not allowed in keys or scopes") }
        return bytes
    }

    private static func checkValue(_ value: [UInt8]) throws(KeyValueError) {
        guard value.count <= KeyValueStoreLimits.maxValueBytes else { throw .valueTooLarge(value.count) }
    }

    static func readExpiry(_ bytes: some Collection<UInt8>) -> UInt64 {
        bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func expiryBytes(_ expiry: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: expiry >> UInt64(56 - $0 * 8)) }
    }

    /// The value part of a stored entry when it has not expired at `clock`.
    private static func live(_ stored: UnsafeRawBufferPointer, at clock: UInt64) -> UnsafeRawBufferPointer? {
        guard stored.count >= 8 else { return nil }
        let expiry = readExpiry(stored)
        guard expiry == 0 || expiry > clock else { return nil }
        return UnsafeRawBufferPointer(rebasing: stored[8...])
    }

    private static func current(_ full: [UInt8], at clock: UInt64, values: LMDBDatabase, _ transaction: borrowing LMDBTransaction) throws -> (value: [UInt8]?, expiry: UInt64) {
        try transaction.withValue(values, full) { stored in
            guard let stored, let value = live(stored, at: clock) else { return (nil, 0) }
            return (Array(value), readExpiry(stored))
        }
    }

    private static func store(_ full: [UInt8], _ value: [UInt8], expiry: UInt64, values: LMDBDatabase, expiries: LMDBDatabase,
                              _ transaction: borrowing LMDBTransaction) throws {
        try remove(full, values: values, expiries: expiries, transaction)
        try transaction.put(values, full, expiryBytes(expiry) + value)
        if expiry != 0 { try transaction.put(expiries, expiryBytes(expiry) + full, []) }
    }

    private static func remove(_ full: [UInt8], values: LMDBDatabase, expiries: LMDBDatabase, _ transaction: borrowing LMDBTransaction) throws {
        let oldExpiry = try transaction.withValue(values, full) { stored in stored.map { readExpiry($0) } }
        guard let oldExpiry else { return }
        if oldExpiry != 0 { try transaction.delete(expiries, expiryBytes(oldExpiry) + full) }
        try transaction.delete(values, full)
    }
}
