import Foundation

/// Whose keys these are: a Core's memory is scoped by tenant, Core and a scope name
/// (`memory`, `entity/customer/42`, `idempotency`, ...). One scope can never see another's keys.
public struct KeyValueScope: Sendable, Hashable, CustomStringConvertible {
    public let tenant: String
    public let core: String
    public let scope: String

    public init(tenant: String, core: String, scope: String) {
        self.tenant = tenant
        self.core = core
        self.scope = scope
    }

    public var description: String { "\(tenant)/\(core)/\(scope)" }
}

/// One key and its value, as answered by a scan.
public struct KeyValueEntry: Sendable, Equatable {
    public let key: String
    public let value: [UInt8]

    public init(key: String, value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

/// A page of a prefix scan; `next` is the cursor for the following page (nil at the end).
public struct KeyValuePage: Sendable, Equatable {
    public let entries: [KeyValueEntry]
    public let next: String?
}

/// Errors of the key-value vocabulary (I/O failures are adapter errors).
public enum KeyValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `increment` found a value that is not a decimal 64-bit integer.
    case notAnInteger(key: String)
    /// `increment` would leave the 64-bit range.
    case overflow(key: String)
    /// Empty keys, keys or scope parts with NUL bytes, keys over ``KeyValueStoreLimits/maxKeyBytes``.
    case invalidKey(String)
    /// A value over ``KeyValueStoreLimits/maxValueBytes``.
    case valueTooLarge(Int)

    public var description: String {
        switch self {
        case .notAnInteger(let key): "the value of \(key) is not an integer"
        case .overflow(let key): "incrementing \(key) would overflow a 64-bit integer"
        case .invalidKey(let reason): "invalid key: \(reason)"
        case .valueTooLarge(let size): "a value of \(size) bytes is larger than \(KeyValueStoreLimits.maxValueBytes)"
        }
    }
}

/// Limits every adapter enforces the same way.
public enum KeyValueStoreLimits {
    /// Key bytes (UTF-8) after the scope. Scope parts count towards LMDB's 511-byte key limit.
    public static let maxKeyBytes = 256
    public static let maxValueBytes = 16 << 20
}

/// Core memory and other small keyed state, with optional expiry.
///
/// Expired keys are invisible at once to every call (get, scan, compare-and-set, increment) and
/// their storage is reclaimed later by ``purgeExpired()``, which the appliance runs in the
/// background. `increment` keeps values as decimal text, as Redis' INCRBY does, and keeps an
/// existing expiry.
public protocol KeyValueStore: Sendable {
    /// The live value of `key`, or nil.
    func get(_ key: String, in scope: KeyValueScope) async throws -> [UInt8]?
    /// Stores `value`; with a `ttl` the key expires after it, without one it never does.
    func put(_ key: String, _ value: [UInt8], ttl: Duration?, in scope: KeyValueScope) async throws
    /// Deletes `key`; answers whether a live value was there.
    @discardableResult
    func delete(_ key: String, in scope: KeyValueScope) async throws -> Bool
    /// Replaces the value only if the live value equals `expected` (nil: only if absent); `new`
    /// nil deletes. Answers whether it swapped.
    func compareAndSet(_ key: String, expected: [UInt8]?, new: [UInt8]?, ttl: Duration?, in scope: KeyValueScope) async throws -> Bool
    /// Adds `delta` to the integer value (absent counts as 0) and answers the result. `ttl` applies
    /// only when the key is created.
    func increment(_ key: String, by delta: Int64, ttl: Duration?, in scope: KeyValueScope) async throws -> Int64
    /// Live keys starting with `prefix`, in byte order, after the cursor `after`, at most `limit`.
    func scan(prefix: String, after: String?, limit: Int, in scope: KeyValueScope) async throws -> KeyValuePage
    /// Reclaims the storage of expired keys; answers how many were removed.
    @discardableResult
    func purgeExpired() async throws -> Int
}

extension KeyValueStore {
    /// Stores `value` without expiry.
    public func put(_ key: String, _ value: [UInt8], in scope: KeyValueScope) async throws {
        try await put(key, value, ttl: nil, in: scope)
    }
}
