import CoreEngine
import Foundation
import Storage

/// The Core registry: creating, reading, changing and deleting Cores, and driving them through
/// the lifecycle. Every operation takes the caller's tenant; rules live here, SQL in
/// ``CoreRepository``, legal transitions in ``Lifecycle``.
public struct CoreService: Sendable {
    let store: any RelationalStore
    public let engines: EngineRegistry
    let maxIRBytes: Int
    let now: Now

    public init(store: any RelationalStore, engines: EngineRegistry, maxIRBytes: Int, now: @escaping Now = { Date() }) {
        self.store = store
        self.engines = engines
        self.maxIRBytes = maxIRBytes
        self.now = now
    }

    // MARK: registry

    public func create(_ draft: CoreDraft, tenantID: String, context: ActionContext) async throws -> Core {
        let irVersion = try checkIR(draft.ir)
        let at = Timestamp.string(now())
        let id = Identifier.make("core")
        let core = Core(
            id: id, tenantID: tenantID, slug: draft.slug ?? Slug.derive(from: draft.name), name: draft.name,
            ir: draft.ir, irVersion: irVersion, irRevision: 1, runtimeConfig: draft.runtimeConfig,
            identityMode: draft.identityMode, plugins: draft.plugins, avatarURL: nil, status: .created,
            statusReason: nil, createdAt: at, updatedAt: at, version: 1)
        do {
            return try await insert(core, context: context)
        } catch StorageError.uniqueViolation where draft.slug == nil {
            // The derived slug is taken: keep the name, make the slug unique with the id's tail.
            var renamed = core
            renamed.slug = String(core.slug.prefix(55)) + "-" + id.suffix(6).lowercased()
            return try await insert(renamed, context: context)
        } catch StorageError.uniqueViolation {
            throw Self.slugTaken(core.slug)
        }
    }

    private func insert(_ core: Core, context: ActionContext) async throws -> Core {
        try await store.write { db in
            try RuntimeConfig.check(core.runtimeConfig, tenantID: core.tenantID, in: db)
            try CoreRepository.insert(db, core)
            try CoreRepository.recordRevision(db, core, by: context.actor)
            try AuditLog.record(
                db, tenantID: core.tenantID, context: context, action: "core.create", targetType: "core",
                targetID: core.id, details: ["slug": .string(core.slug), "name": .string(core.name)], at: core.createdAt)
        }
        return core
    }

    public func get(tenantID: String, id: String) async throws -> Core {
        let core = try await store.read { db in try CoreRepository.find(db, tenantID: tenantID, id: id) }
        guard let core else { throw ApplianceError.notFound("Core", id: id) }
        return core
    }

    /// Cores of the tenant in id order, optionally only those in `statuses`. Items carry no IR.
    public func list(tenantID: String, statuses: [CoreStatus], after cursor: String?, limit: Int) async throws -> Page<Core> {
        let items = try await store.read { db in
            try CoreRepository.list(db, tenantID: tenantID, statuses: statuses, after: cursor, limit: limit + 1)
        }
        let page = Array(items.prefix(limit))
        return Page(items: page, nextCursor: items.count > limit ? page.last?.id : nil)
    }

    /// Applies a change. `ifMatch` is the version from an If-Match header (412 when stale);
    /// `patch.expectedVersion` the one from the body (409 when stale).
    public func update(tenantID: String, id: String, patch: CorePatch, ifMatch: Int64?, context: ActionContext) async throws -> Core {
        let irVersion = try patch.ir.map(checkIR)
        let at = Timestamp.string(now())
        do {
            return try await store.write { db in
                guard var core = try CoreRepository.find(db, tenantID: tenantID, id: id) else {
                    throw ApplianceError.notFound("Core", id: id)
                }
                try Self.checkVersion(core, ifMatch: ifMatch, bodyVersion: patch.expectedVersion)
                var changed: [String] = []
                if let name = patch.name, name != core.name { core.name = name; changed.append("name") }
                if let slug = patch.slug, slug != core.slug { core.slug = slug; changed.append("slug") }
                if let config = patch.runtimeConfig, config != core.runtimeConfig {
                    try RuntimeConfig.check(config, tenantID: tenantID, in: db)
                    core.runtimeConfig = config
                    changed.append("runtime_config")
                }
                if let mode = patch.identityMode, mode != core.identityMode { core.identityMode = mode; changed.append("identity_mode") }
                if let plugins = patch.plugins, plugins != core.plugins { core.plugins = plugins; changed.append("plugins") }
                if let ir = patch.ir, ir != core.ir {
                    core.ir = ir
                    core.irVersion = irVersion ?? nil
                    core.irRevision += 1
                    changed.append("ir")
                }
                guard !changed.isEmpty else { return core }
                core.version += 1
                core.updatedAt = at
                guard try CoreRepository.update(db, core) else { throw Self.lostRace(id) }
                if changed.contains("ir") { try CoreRepository.recordRevision(db, core, by: context.actor) }
                try AuditLog.record(
                    db, tenantID: tenantID, context: context, action: "core.update", targetType: "core", targetID: id,
                    details: ["fields": .array(changed.map(JSONValue.string)), "version": .integer(core.version)], at: at)
                return core
            }
        } catch StorageError.uniqueViolation {
            throw Self.slugTaken(patch.slug ?? "")
        }
    }

    /// Sets or clears the Core's `avatar_url` (the avatar itself is in the object store, see
    /// ``CoreAvatars``); a new version, audited.
    func setAvatarURL(tenantID: String, id: String, url: String?, context: ActionContext) async throws -> Core {
        let at = Timestamp.string(now())
        return try await store.write { db in
            guard var core = try CoreRepository.find(db, tenantID: tenantID, id: id) else { throw ApplianceError.notFound("Core", id: id) }
            core.avatarURL = url
            core.version += 1
            core.updatedAt = at
            guard try CoreRepository.update(db, core) else { throw Self.lostRace(id) }
            try AuditLog.record(
                db, tenantID: tenantID, context: context, action: url == nil ? "core.avatar.delete" : "core.avatar.set", targetType: "core",
                targetID: id, details: ["version": .integer(core.version)], at: at)
            return core
        }
    }

    public func delete(tenantID: String, id: String, ifMatch: Int64?, context: ActionContext) async throws {
        let at = Timestamp.string(now())
        try await store.write { db in
            guard let core = try CoreRepository.find(db, tenantID: tenantID, id: id) else { throw ApplianceError.notFound("Core", id: id) }
            try Self.checkVersion(core, ifMatch: ifMatch, bodyVersion: nil)
            guard try CoreRepository.delete(db, tenantID: tenantID, id: id) else { throw ApplianceError.notFound("Core", id: id) }
            // Its unfinished runs and open checkpoints end with it.
            let cancelled = JSONValue.object(["code": "core_deleted", "message": "the Core was deleted", "step": .null]).encodedText()
            try db.execute(
                """
                UPDATE mod_scaicore_runs SET status = 'cancelled', error = ?, checkpoint_id = NULL, resume_pending = 0, state = NULL,
                  updated_at = ?, finished_at = ?
                WHERE tenant_id = ? AND core_id = ? AND status IN ('queued', 'running', 'suspended', 'sleeping')
                """,
                [.text(cancelled), .text(at), .text(at), .text(tenantID), .text(id)])
            try db.execute(
                """
                UPDATE mod_scaicore_checkpoints SET status = 'cancelled', updated_at = ?, resolved_at = ?, version = version + 1
                WHERE tenant_id = ? AND core_id = ? AND status = 'open'
                """,
                [.text(at), .text(at), .text(tenantID), .text(id)])
            try AuditLog.record(
                db, tenantID: tenantID, context: context, action: "core.delete", targetType: "core", targetID: id,
                details: ["slug": .string(core.slug), "status": .string(core.status.rawValue)], at: at)
        }
        await engines.remove(coreID: id)
    }

    // MARK: lifecycle

    /// Takes `action`: moves the Core to the action's first status, lets the engine registry do
    /// its work, then moves on to the final status (or to `error` when the engine fails).
    public func perform(_ action: LifecycleAction, tenantID: String, id: String, ifMatch: Int64?, context: ActionContext) async throws -> Core {
        let begun: (Core, [CoreStatus]) = try await store.write { [now] db in
            guard let core = try CoreRepository.find(db, tenantID: tenantID, id: id) else { throw ApplianceError.notFound("Core", id: id) }
            try Self.checkVersion(core, ifMatch: ifMatch, bodyVersion: nil)
            guard let route = Lifecycle.route(of: action, from: core.status) else {
                throw Self.illegal(action, core.status)
            }
            return (try Self.transition(db, core, to: route[0], context: context, at: Timestamp.string(now())), route)
        }
        var (core, route) = begun
        do {
            switch action {
            case .start: try await engines.attach(core)
            case .stop: await engines.detach(coreID: id)
            case .pause: await engines.setPaused(coreID: id, true)
            case .resume: await engines.setPaused(coreID: id, false)
            case .restart:
                await engines.detach(coreID: id)
                try await engines.attach(core)
            }
        } catch {
            let failure = ActionContext(principal: context.principal, requestID: context.requestID, reason: "engine failed: \(error)")
            return try await moveOn(core, to: .error, context: failure)
        }
        for status in route.dropFirst() { core = try await moveOn(core, to: status, context: context) }
        return core
    }

    /// Brings Cores back after the process starts. After a clean shutdown running and paused
    /// Cores get their engines back; after an unclean one, Cores that were live go
    /// `crashed → restarting → running`. Cores caught stopping finish stopping.
    public func recoverAtBoot(uncleanShutdown: Bool) async throws -> [String: CoreStatus] {
        let live = try await store.read { db in
            try CoreRepository.allInStatuses(db, [.running, .paused, .starting, .restarting, .stopping, .crashed])
        }
        var outcome: [String: CoreStatus] = [:]
        for var core in live {
            do {
                switch core.status {
                case .paused:
                    try await engines.attach(core, paused: true)
                case .stopping:
                    core = try await moveOn(core, to: .stopped, context: .system(reason: "the appliance restarted while the Core was stopping"))
                case .running where !uncleanShutdown:
                    try await engines.attach(core)
                default:
                    if core.status != .crashed {
                        core = try await moveOn(core, to: .crashed, context: .system(reason: "the appliance stopped uncleanly while the Core was \(core.status.rawValue)"))
                    }
                    core = try await moveOn(core, to: .restarting, context: .system(reason: "automatic restart after a crash"))
                    try await engines.attach(core)
                    core = try await moveOn(core, to: .running, context: .system(reason: "automatic restart after a crash"))
                }
            } catch let error as ApplianceError where error.code == "invalid_ir" {
                // One Core whose IR no longer runs must not keep the appliance from starting.
                await engines.detach(coreID: core.id)
                let current = try await get(tenantID: core.tenantID, id: core.id)
                let reason = ActionContext.system(reason: "the engine could not start at boot: \(error.message)")
                if Lifecycle.isLegal(from: current.status, to: .error) {
                    core = try await moveOn(current, to: .error, context: reason)
                } else if Lifecycle.isLegal(from: current.status, to: .stopping) {
                    core = try await moveOn(try await moveOn(current, to: .stopping, context: reason), to: .error, context: reason)
                } else {
                    core = current
                }
            }
            outcome[core.id] = core.status
        }
        return outcome
    }

    /// Number of Cores in each status, over every tenant (for metrics).
    public func countByStatus() async throws -> [CoreStatus: Int] {
        try await store.read { db in try CoreRepository.countByStatus(db) }
    }

    // MARK: helpers

    /// Continues an action the caller began: the Core must still be in the status the action
    /// left it in. Other changes meanwhile (a PATCH of its name, say) do not stop the action, or
    /// the Core would be stranded in a transitional status.
    private func moveOn(_ core: Core, to status: CoreStatus, context: ActionContext) async throws -> Core {
        let at = Timestamp.string(now())
        return try await store.write { db in
            guard let current = try CoreRepository.find(db, tenantID: core.tenantID, id: core.id) else {
                throw ApplianceError.notFound("Core", id: core.id)
            }
            guard current.status == core.status else { throw Self.lostRace(core.id) }
            return try Self.transition(db, current, to: status, context: context, at: at)
        }
    }

    private static func transition(_ db: any SQLConnection, _ core: Core, to status: CoreStatus, context: ActionContext, at: String) throws -> Core {
        guard Lifecycle.isLegal(from: core.status, to: status) else { throw illegalMove(core.status, status) }
        var next = core
        next.status = status
        next.statusReason = context.reason
        next.version += 1
        next.updatedAt = at
        guard try CoreRepository.updateStatus(db, next) else { throw lostRace(core.id) }
        try AuditLog.record(
            db, tenantID: core.tenantID, context: context, action: "core.status", targetType: "core", targetID: core.id,
            details: ["from": .string(core.status.rawValue), "to": .string(status.rawValue)], at: at)
        return next
    }

    /// Checks the IR's shape and size, then validates it as a bundle (docs/ir.md): 422 with
    /// every problem at its JSON path when it cannot run. Answers its `ir_version`.
    private func checkIR(_ ir: JSONValue) throws -> String? {
        guard case .object(let fields) = ir else {
            throw ApplianceError.invalidRequest([FieldProblem("ir", "expected a JSON object, got \(ir.typeName)")])
        }
        let size = ir.encodedText().utf8.count
        guard size <= maxIRBytes else {
            throw ApplianceError(
                .payloadTooLarge, code: "ir_too_large", "the IR is \(size) bytes; this appliance accepts at most \(maxIRBytes) (cores.max_ir_bytes)",
                details: .object(["size": .integer(Int64(size)), "limit": .integer(Int64(maxIRBytes))]))
        }
        do {
            _ = try BundleDecoder.decode(ir)
        } catch {
            throw Self.invalidIR(error.problems)
        }
        return fields["ir_version"]?.stringValue
    }

    static func invalidIR(_ problems: [IRProblem]) -> ApplianceError {
        let first = problems.prefix(3).map(\.description).joined(separator: "; ")
        return ApplianceError(
            .unprocessable, code: "invalid_ir",
            "the IR cannot run: \(problems.count) problem\(problems.count == 1 ? "" : "s") (\(first)\(problems.count > 3 ? "; ..." : ""))",
            details: .object(["problems": .array(problems.map { .object(["path": .string($0.path), "message": .string($0.message)]) })]))
    }

    private static func checkVersion(_ core: Core, ifMatch: Int64?, bodyVersion: Int64?) throws {
        if let ifMatch, ifMatch != core.version {
            throw ApplianceError(
                .preconditionFailed, code: "precondition_failed",
                "If-Match names version \(ifMatch) but the Core is at version \(core.version)",
                details: .object(["current_version": .integer(core.version)]))
        }
        if let bodyVersion, bodyVersion != core.version {
            throw ApplianceError(
                .conflict, code: "version_conflict", "the request is based on version \(bodyVersion) but the Core is at version \(core.version)",
                details: .object(["current_version": .integer(core.version)]))
        }
    }

    static func slugTaken(_ slug: String) -> ApplianceError {
        ApplianceError(.conflict, code: "slug_taken", "another Core of this tenant already has slug '\(slug)'",
                       details: .object(["slug": .string(slug)]))
    }

    static func lostRace(_ id: String) -> ApplianceError {
        ApplianceError(.conflict, code: "version_conflict", "Core '\(id)' was changed by another request; read it again and retry")
    }

    static func illegal(_ action: LifecycleAction, _ status: CoreStatus) -> ApplianceError {
        let legal = Lifecycle.legalActions(from: status).map(\.rawValue)
        return ApplianceError(
            .conflict, code: "invalid_transition",
            "cannot \(action.rawValue) a Core that is \(status.rawValue); legal actions: \(legal.isEmpty ? "none" : legal.joined(separator: ", "))",
            details: .object(["status": .string(status.rawValue), "action": .string(action.rawValue), "legal_actions": .array(legal.map(JSONValue.string))]))
    }

    private static func illegalMove(_ from: CoreStatus, _ to: CoreStatus) -> ApplianceError {
        ApplianceError(.conflict, code: "invalid_transition", "a Core cannot go from \(from.rawValue) to \(to.rawValue)",
                       details: .object(["status": .string(from.rawValue), "target": .string(to.rawValue)]))
    }
}
