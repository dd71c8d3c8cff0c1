import Foundation

/// An engine attached to a running or paused Core. The engine issue gives it an interpreter;
/// for now it records that the Core is live and whether it is paused.
public struct EngineInstance: Sendable, Equatable {
    public let coreID: String
    public let tenantID: String
    public let irRevision: Int64
    public let attachedAt: Date
    public var paused: Bool
}

/// One engine instance per live Core, keyed by core id. The lifecycle passes through it:
/// `starting → running` attaches an instance, `stopping → stopped` and deletion remove it.
public actor EngineRegistry {
    private var instances: [String: EngineInstance] = [:]

    public init() {}

    /// Attaches an engine to the Core (replacing any previous one).
    public func attach(_ core: Core, paused: Bool = false) throws {
        instances[core.id] = EngineInstance(
            coreID: core.id, tenantID: core.tenantID, irRevision: core.irRevision, attachedAt: Date(), paused: paused)
    }

    /// Removes the Core's engine, if it has one.
    public func detach(coreID: String) {
        instances[coreID] = nil
    }

    public func setPaused(coreID: String, _ paused: Bool) {
        instances[coreID]?.paused = paused
    }

    public func instance(coreID: String) -> EngineInstance? { instances[coreID] }

    public var count: Int { instances.count }

    /// Drops every instance (on shutdown).
    public func detachAll() { instances.removeAll() }
}
