import Foundation

/// Where one grain (an entity's single activation, e.g. `tenant/core/customer/42`) lives: the
/// node that activated it, that activation's unique id, and until when the node's lease holds.
public struct GrainAddress: Sendable, Hashable, Codable {
    public let grain: String
    public let node: String
    /// Unique per activation: a node that re-activates a grain gets a new one.
    public let activation: String
    public let leaseExpiresAt: Date

    public init(grain: String, node: String, activation: String, leaseExpiresAt: Date) {
        self.grain = grain
        self.node = node
        self.activation = activation
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// The entity placement directory (the model is Orleans' grain directory, Redis flavour).
///
/// - `register` is first-writer-wins: when a live entry exists it is answered unchanged, and the
///   caller must route to it; otherwise the caller's entry is stored and answered.
/// - An entry whose lease has passed is free: `lookup` no longer answers it, and `register` by
///   anyone replaces it. A crashed node's entries therefore free themselves.
/// - `unregister` and `renew` act only when the stored entry is the caller's own activation.
public protocol GrainDirectory: Sendable {
    /// Registers `node`'s `activation` of `grain` for `lease` unless a live entry exists; answers
    /// the entry that holds the grain afterwards.
    func register(grain: String, node: String, activation: String, lease: Duration) async throws -> GrainAddress
    /// The live entry of `grain`, or nil.
    func lookup(grain: String) async throws -> GrainAddress?
    /// Removes the entry only if it is still `address`'s activation; answers whether it did.
    @discardableResult
    func unregister(_ address: GrainAddress) async throws -> Bool
    /// Extends the lease of the caller's own live entry; nil when the entry was lost (expired and
    /// taken by another activation, or removed).
    func renew(_ address: GrainAddress, lease: Duration) async throws -> GrainAddress?
    /// Removes every entry of `node` (a clean shutdown); answers how many.
    @discardableResult
    func unregisterAll(node: String) async throws -> Int
}

/// Grain ids and node names the directory refuses: empty, over 400 bytes, or with NUL bytes.
public struct GrainDirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { "grain directory: \(reason)" }
}
