import Foundation

/// ``GrainDirectory`` over an ``LMDBEnvironment``: database `grains` maps a grain id to its
/// ``GrainAddress`` (JSON). Every decision (live or expired, owner or not) is made inside one
/// write transaction, so concurrent registrations cannot both win.
public struct LMDBGrainDirectory: GrainDirectory {
    public static let databases = ["grains"]

    private let environment: LMDBEnvironment
    private let grains: LMDBDatabase
    private let now: @Sendable () -> Date

    public init(environment: LMDBEnvironment, now: @escaping @Sendable () -> Date = Date.init) {
        self.environment = environment
        grains = environment.database("grains")
        self.now = now
    }

    public func register(grain: String, node: String, activation: String, lease: Duration) async throws -> GrainAddress {
        try Self.check(grain, "grain id")
        try Self.check(node, "node")
        try Self.check(activation, "activation")
        let clock = now()
        let candidate = GrainAddress(grain: grain, node: node, activation: activation, leaseExpiresAt: clock.addingTimeInterval(lease.timeInterval))
        return try await environment.write { [grains] transaction in
            if let existing = try Self.entry(grain, transaction, grains), existing.leaseExpiresAt > clock { return existing }
            try transaction.put(grains, Array(grain.utf8), try JSONEncoder().encode(candidate))
            return candidate
        }
    }

    public func lookup(grain: String) async throws -> GrainAddress? {
        try Self.check(grain, "grain id")
        let clock = now()
        return try environment.read { transaction in
            try Self.entry(grain, transaction, grains).flatMap { $0.leaseExpiresAt > clock ? $0 : nil }
        }
    }

    public func unregister(_ address: GrainAddress) async throws -> Bool {
        try Self.check(address.grain, "grain id")
        return try await environment.write { [grains] transaction in
            guard let existing = try Self.entry(address.grain, transaction, grains), existing.activation == address.activation,
                  existing.node == address.node else { return false }
            return try transaction.delete(grains, Array(address.grain.utf8))
        }
    }

    public func renew(_ address: GrainAddress, lease: Duration) async throws -> GrainAddress? {
        try Self.check(address.grain, "grain id")
        let clock = now()
        return try await environment.write { [grains] transaction in
            guard let existing = try Self.entry(address.grain, transaction, grains), existing.activation == address.activation,
                  existing.node == address.node, existing.leaseExpiresAt > clock else { return nil }
            let renewed = GrainAddress(grain: existing.grain, node: existing.node, activation: existing.activation,
                                       leaseExpiresAt: clock.addingTimeInterval(lease.timeInterval))
            try transaction.put(grains, Array(address.grain.utf8), try JSONEncoder().encode(renewed))
            return renewed
        }
    }

    public func unregisterAll(node: String) async throws -> Int {
        try Self.check(node, "node")
        return try await environment.write { [grains] transaction in
            var owned: [[UInt8]] = []
            try transaction.scan(grains, from: []) { key, value in
                if let address = try? JSONDecoder().decode(GrainAddress.self, from: Data(value)), address.node == node { owned.append(Array(key)) }
                return true
            }
            for key in owned { try transaction.delete(grains, key) }
            return owned.count
        }
    }

    private static func entry(_ grain: String, _ transaction: borrowing LMDBTransaction, _ grains: LMDBDatabase) throws -> GrainAddress? {
        try transaction.get(grains, Array(grain.utf8)).map { try JSONDecoder().decode(GrainAddress.self, from: Data($0)) }
    }

    private static func check(_ text: String, _ what: String) throws(GrainDirectoryError) {
        guard !text.isEmpty, text.utf8.count <= 400, !text.utf8.contains(0) else {
            throw GrainDirectoryError(reason: "a \(what) must be 1 to 400 bytes without NUL")
        }
    }
}

extension Duration {
    /// The duration in seconds, as Foundation counts time.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
