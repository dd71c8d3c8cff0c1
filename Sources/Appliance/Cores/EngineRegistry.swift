import CoreEngine
import Foundation

/// An engine attached to a running or paused Core: the interpreter over the Core's validated
/// bundle, and what the runtime needs to know of the Core while its runs execute.
///
/// A Core runs the IR revision it was started with: a changed IR takes effect at the next
/// start or restart (docs/runtime.md).
public struct EngineInstance: Sendable {
    public let coreID: String
    public let tenantID: String
    public let irRevision: Int64
    public let engine: Engine
    /// Plugins the Core enables (its `plugins` field).
    public let plugins: Set<String>
    /// The Core's `runtime_config` (for example `default_assignee`).
    public let runtimeConfig: JSONValue
    public let attachedAt: Date
    public var paused: Bool
}

/// One engine instance per live Core, keyed by core id. The lifecycle passes through it:
/// `starting → running` attaches an instance, `stopping → stopped` and deletion remove it.
/// Paused Cores keep their instance: their events are accepted and wait (docs/runtime.md).
public actor EngineRegistry {
    private var instances: [String: EngineInstance] = [:]
    private var activationListener: (@Sendable (String) async -> Void)?
    private var deactivationListener: (@Sendable (String) async -> Void)?
    private var removalListener: (@Sendable (String) async -> Void)?

    public init() {}

    /// `listener` hears the id of each Core that becomes able to run (attached unpaused, or resumed).
    public func onActivation(_ listener: @escaping @Sendable (String) async -> Void) {
        activationListener = listener
    }

    /// `listener` hears the id of each Core that stops being able to run (paused or detached).
    public func onDeactivation(_ listener: @escaping @Sendable (String) async -> Void) {
        deactivationListener = listener
    }

    /// Attaches an engine to the Core (replacing any previous one). Throws when its IR no longer validates.
    public func attach(_ core: Core, paused: Bool = false) async throws {
        let bundle: IRBundle
        do {
            // Stored IR: an earlier version may have accepted names this one refuses for new IR.
            bundle = try BundleDecoder.decode(core.ir, rules: .stored)
        } catch {
            throw CoreService.invalidIR(error.problems)
        }
        instances[core.id] = EngineInstance(
            coreID: core.id, tenantID: core.tenantID, irRevision: core.irRevision, engine: Engine(bundle: bundle),
            plugins: Set(core.plugins), runtimeConfig: core.runtimeConfig, attachedAt: Date(), paused: paused)
        if paused { await deactivationListener?(core.id) } else { await activationListener?(core.id) }
    }

    /// `listener` hears the id of each Core that was deleted.
    public func onRemoval(_ listener: @escaping @Sendable (String) async -> Void) {
        removalListener = listener
    }

    /// The Core was deleted: its engine goes, and the runtime forgets its queued runs.
    public func remove(coreID: String) async {
        instances[coreID] = nil
        await removalListener?(coreID)
    }

    /// Removes the Core's engine, if it has one.
    public func detach(coreID: String) async {
        instances[coreID] = nil
        await deactivationListener?(coreID)
    }

    public func setPaused(coreID: String, _ paused: Bool) async {
        instances[coreID]?.paused = paused
        guard instances[coreID] != nil else { return }
        if paused { await deactivationListener?(coreID) } else { await activationListener?(coreID) }
    }

    public func instance(coreID: String) -> EngineInstance? { instances[coreID] }

    /// Instances of the tenant's live Cores (for delivering emitted events).
    public func instances(tenantID: String) -> [EngineInstance] {
        instances.values.filter { $0.tenantID == tenantID }.sorted { $0.coreID < $1.coreID }
    }

    /// Every live instance (for the schedule sweep).
    public func all() -> [EngineInstance] { Array(instances.values) }

    public var count: Int { instances.count }

    /// Drops every instance (on shutdown).
    public func detachAll() { instances.removeAll() }
}
