import CoreEngine
import Foundation
import Logging
import Storage

/// The appliance's ``HostEnvironment`` for one run: memory in the ``KeyValueStore`` (the
/// Core's scope), the journal in SQL, emitted events through the durable intake, models through
/// the ``InferenceRouter``, plugins through the ``PluginBridge``. Every effect first checks
/// that the run was not cancelled meanwhile, and tells the journal what kind of effect it is
/// (``RunJournal/EffectKind``), which decides when its entry is written.
struct ApplianceHost: HostEnvironment {
    let run: RunRecord
    let live: EngineInstance
    let runtime: Runtime
    let runJournal: RunJournal

    var journal: any Journal { runJournal }

    private var memoryScope: KeyValueScope { KeyValueScope(tenant: run.tenantID, core: run.coreID, scope: "memory") }

    func model(alias: String, declared: ModelAlias, prompt: String, system: String?) async throws -> String {
        try await checkNotCancelled()
        try await runJournal.willPerform(.external)
        return try await runtime.inference.complete(alias: alias, declared: declared, prompt: prompt, system: system).text
    }

    func plugin(_ plugin: String, action: String, args: JSONValue) async throws -> JSONValue {
        try await checkNotCancelled()
        try await runJournal.willPerform(.external)
        let caller = PluginBridge.Caller(coreID: run.coreID, runID: run.id, stepKey: runJournal.currentKey, enabled: live.plugins)
        return try await runtime.plugins.call(plugin, action: action, args: args, caller: caller)
    }

    func memoryGet(_ key: String) async throws -> JSONValue? {
        try await checkNotCancelled()
        try await runJournal.willPerform(.read)
        guard let bytes = try await StorageFailure.wrap(reportingTo: runtime.health, { try await runtime.memory.get(key, in: memoryScope) }) else { return nil }
        return try JSONValue.parse(bytes)
    }

    func memoryPut(_ key: String, value: JSONValue, ttlSeconds: Int?) async throws {
        try await checkNotCancelled()
        try await runJournal.willPerform(.write)
        try await StorageFailure.wrap(reportingTo: runtime.health) { try await runtime.memory.put(key, value.encodedBytes(), ttl: ttlSeconds.map { .seconds($0) }, in: memoryScope) }
    }

    func memoryDelete(_ key: String) async throws {
        try await checkNotCancelled()
        try await runJournal.willPerform(.write)
        _ = try await StorageFailure.wrap(reportingTo: runtime.health) { try await runtime.memory.delete(key, in: memoryScope) }
    }

    /// Delivers the event to every live Core of the tenant that subscribes to it (the emitting
    /// Core included), each under an idempotency key made of the run and the step, so a
    /// recovered run delivers nothing twice. Without subscribers it is recorded once, unmatched,
    /// on the emitting Core. The deliveries and the step's journal entry are one transaction —
    /// the run's next durable write.
    func emit(event: String, data: JSONValue) async throws {
        try await checkNotCancelled()
        try await runJournal.willPerform(.transactional)
        let subscribers = await runtime.engines.instances(tenantID: run.tenantID).filter { instance in
            instance.engine.bundle.flows.values.contains { $0.triggers.contains(.event(event)) }
        }
        let targets = subscribers.isEmpty ? [run.coreID] : subscribers.map(\.coreID)
        let stepKey = runJournal.currentKey
        var prepared: [EventIntake.Prepared] = []
        for coreID in targets {
            var submission = Submission(tenantID: run.tenantID, coreID: coreID, eventName: event, data: data, source: .emit)
            submission.sourceRunID = run.id
            submission.sender = run.startedBy
            submission.idempotencyKey = "emit:\(run.id):\(stepKey)"
            submission.bypassQueueLimit = true
            do {
                prepared.append(try await runtime.intake.prepare(submission))
            } catch let error as ApplianceError {
                // One subscriber refusing (say, no entity key in the data) does not fail the emitting run.
                runtime.logger.warning("an emitted event was refused by a subscriber", metadata: [
                    "run_id": "\(run.id)", "target_core_id": "\(coreID)", "event": "\(event)", "error": "\(error)",
                ])
            }
        }
        let (deliveries, intake) = (prepared, runtime.intake)
        runJournal.recordWith(stepKey, .bool(true)) { db in
            let outcomes = try deliveries.map { try EventIntake.write(db, $0) }
            return { for (delivery, outcome) in zip(deliveries, outcomes) { _ = try? await intake.finish(delivery, outcome) } }
        }
    }

    func log(level: LogLevel, message: String, step: String) async {
        let metadata: Logger.Metadata = ["run_id": "\(run.id)", "core_id": "\(run.coreID)", "step": "\(step)"]
        switch level {
        case .debug: runtime.logger.debug("\(message)", metadata: metadata)
        case .info: runtime.logger.info("\(message)", metadata: metadata)
        case .warning: runtime.logger.warning("\(message)", metadata: metadata)
        case .error: runtime.logger.error("\(message)", metadata: metadata)
        }
    }

    func now() -> Date { runtime.now() }

    private func checkNotCancelled() async throws {
        let (tenantID, runID) = (run.tenantID, run.id)
        let status = try await StorageFailure.wrap(reportingTo: runtime.health) { try await runtime.store.read { db in try RunRepository.find(db, tenantID: tenantID, id: runID)?.status } }
        if status == .cancelled { throw RunError(code: "cancelled", message: "the run was cancelled", step: nil) }
    }
}
