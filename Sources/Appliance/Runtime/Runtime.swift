import CoreEngine
import Foundation
import Logging
import Storage

/// The runtime of DESIGN §4: intake, dispatcher, executor, checkpoints, and the stores they act
/// through. One per appliance; ``Appliance`` builds it and ``start()`` sets it going.
public final class Runtime: Sendable {
    public let store: any RelationalStore
    public let writer: GroupCommitWriter
    public let engines: EngineRegistry
    public let dispatcher: Dispatcher
    public let intake: EventIntake
    public let broadcaster: EventBroadcaster
    public let checkpoints: CheckpointService
    public let runs: RunService
    let memory: any KeyValueStore
    let grains: any GrainDirectory
    let objects: InternalObjects
    let inference: InferenceRouter
    let plugins: PluginBridge
    let logger: Logger
    let now: Now
    /// Where storage faults under runs are reported (`/readyz`).
    let health: StorageHealth
    /// How long a run waits for space on a full disk before it fails with `storage_full`.
    let storageFullPatience: Duration
    /// This node's name in the grain directory.
    let nodeID: String
    static let grainLease: Duration = .seconds(300)

    init(
        store: any RelationalStore, engines: EngineRegistry, stores: EmbeddedStores, objects: InternalObjects,
        configuration: ApplianceConfiguration, health: StorageHealth, logger: Logger, now: @escaping Now
    ) {
        self.store = store
        self.health = health
        self.storageFullPatience = .seconds(configuration.runtimeStorageFullRetrySeconds)
        self.engines = engines
        self.writer = GroupCommitWriter(store: store)
        self.dispatcher = Dispatcher(workers: configuration.runtimeWorkers, maxQueued: configuration.runtimeMaxQueuedRuns)
        self.broadcaster = EventBroadcaster()
        self.memory = stores.memory
        self.grains = stores.grains
        self.objects = objects
        self.inference = InferenceRouter(unrouted: configuration.inferenceUnrouted)
        self.plugins = PluginBridge(endpoints: configuration.pluginEndpoints)
        self.logger = logger
        self.now = now
        self.nodeID = "node-" + ProcessInfo.processInfo.hostName.prefix(64) + "-" + String(ProcessInfo.processInfo.processIdentifier)
        self.intake = EventIntake(store: store, writer: writer, engines: engines, dispatcher: dispatcher, broadcaster: broadcaster, now: now)
        self.checkpoints = CheckpointService(
            store: store, writer: writer, dispatcher: dispatcher, objects: objects,
            notifications: configuration.notificationSettings, now: now)
        self.runs = RunService(store: store, writer: writer, dispatcher: dispatcher, intake: intake)
    }

    /// Rebuilds the queues from the unfinished runs on disk and starts executing.
    func start() async throws {
        await engines.onActivation { [dispatcher] coreID in await dispatcher.activate(coreID: coreID) }
        await engines.onDeactivation { [dispatcher] coreID in await dispatcher.deactivate(coreID: coreID) }
        await engines.onRemoval { [dispatcher] coreID in await dispatcher.forget(coreID: coreID) }
        let unfinished = try await store.read { db in try RunRepository.unfinished(db) }
        await dispatcher.recover(unfinished)
        await dispatcher.start { [self] job in await self.execute(job) }
        if !unfinished.isEmpty { logger.info("runs recovered", metadata: ["count": "\(unfinished.count)"]) }
    }

    // MARK: executing one run

    /// Executes (or resumes) one run until it completes, fails, suspends or has to wait for its Core.
    func execute(_ job: RunJob) async -> RunEnd {
        if let error = await dispatcher.condemnation(job.runID) { return await recordFailure(job, error) }
        do {
            guard let run = try await store.read({ db in try RunRepository.find(db, tenantID: job.tenantID, id: job.runID) }) else { return .finished }
            switch run.status {
            case .completed, .failed, .cancelled: return .finished
            case .suspended, .sleeping: return .waiting
            case .queued, .running: break
            }
            guard let live = await engines.instance(coreID: run.coreID), live.tenantID == run.tenantID, !live.paused else {
                return try await holdOrDrop(run)
            }
            let grain = try await claim(run)
            let renewal = grain.map(keepLease)
            defer {
                renewal?.cancel()
                if let grain { Task { [grains] in _ = try? await grains.unregister(grain) } }
            }
            let journal = RunJournal(tenantID: run.tenantID, runID: run.id, store: store, writer: writer, health: health, now: now)
            let host = ApplianceHost(run: run, live: live, runtime: self, runJournal: journal)
            let outcome = run.resumePending ? await resume(run, live: live, host: host) : await invoke(run, live: live, host: host)
            return try await settle(run, live: live, outcome: outcome, journal: journal)
        } catch {
            return await failedToExecute(job, error)
        }
    }

    /// Attempts an execution gets before a storage failure (other than a full disk) fails the run.
    static let executionAttempts = 5
    /// The longest wait between two executions of a run waiting for space.
    static let longestRetryDelay: Duration = .seconds(30)

    /// A store failed under the run: it keeps its entity's turn and is tried again with backoff.
    /// An I/O error fails it with `host_error` after ``executionAttempts``; a full disk makes it
    /// wait (at most ``longestRetryDelay`` between tries) for as long as
    /// `runtime.storage_full_retry_seconds` allows, then it fails with `storage_full`.
    private func failedToExecute(_ job: RunJob, _ error: any Error) async -> RunEnd {
        let fault = health.record(ifFault: error)
        let full = fault?.kind == .full || (error as? RunError)?.code == StorageFailure.fullCode
        let reason = fault?.description ?? (error as? RunError)?.message ?? "\(error)"
        let failures = await dispatcher.noteFailure(job.runID, full: full)
        let attempt = full ? failures.fullAttempts : failures.otherAttempts
        let patient = full ? ContinuousClock.now - (failures.fullSince ?? .now) < storageFullPatience : attempt < Self.executionAttempts
        if patient {
            let delay = min(Duration.milliseconds(250 << min(attempt, 16)), Self.longestRetryDelay)
            logger.log(level: attempt == 1 || !full ? .error : .warning, "a run could not be executed; retrying", metadata: [
                "run_id": "\(job.runID)", "attempt": "\(attempt)", "retry_in": "\(delay)", "error": "\(reason)",
            ])
            return .retry(after: delay)
        }
        logger.error("a run could not be executed; failing it", metadata: ["run_id": "\(job.runID)", "error": "\(reason)"])
        let detail: JSONValue = full
            ? ["code": .string(StorageFailure.fullCode), "message": .string("the data directory stayed full for \(storageFullPatience) (runtime.storage_full_retry_seconds): \(reason)"), "step": .null]
            : ["code": "host_error", "message": .string("storage failed \(attempt) times: \(reason)"), "step": .null]
        await dispatcher.condemn(job.runID, error: detail)
        return await recordFailure(job, detail)
    }

    /// Writes a run's failure; when not even that can be written (the disk is still full), the
    /// run stays condemned and tries again later, so that it ends failed rather than runs on.
    private func recordFailure(_ job: RunJob, _ error: JSONValue) async -> RunEnd {
        let at = Timestamp.string(now())
        let runID = job.runID
        do {
            try await writer.write { db in try RunRepository.finish(db, id: runID, status: .failed, output: nil, error: error, at: at) }
            return .finished
        } catch {
            health.record(ifFault: error)
            return .retry(after: .seconds(5))
        }
    }

    private func invoke(_ run: RunRecord, live: EngineInstance, host: ApplianceHost) async -> Outcome {
        let context = Engine.RunContext(runID: run.id, startedAt: run.createdAt, trigger: run.trigger, env: [:], journalKeys: run.journalKeys)
        return await live.engine.invoke(flow: run.flow, input: run.input, context: context, host: host)
    }

    /// Continues a run from its stored state: a checkpoint's blob with its resolution, or a
    /// sleep's state. Without a usable state the run is invoked again from the start: its
    /// journal (which holds the resolution) replays every effect without repeating it.
    private func resume(_ run: RunRecord, live: EngineInstance, host: ApplianceHost) async -> Outcome {
        let (tenantID, runID) = (run.tenantID, run.id)
        do {
            if let checkpointID = run.checkpointID {
                let checkpoint = try await store.read { db in try CheckpointRepository.find(db, tenantID: tenantID, id: checkpointID) }
                if let checkpoint, let resolution = checkpoint.resolution,
                   let bytes = try await objects.checkpointState(tenantID: tenantID, coreID: run.coreID, checkpointID: checkpointID) {
                    // The resolution is journaled already (with the decision): the engine's record
                    // of it waits for the run's next durable write.
                    try await host.runJournal.willPerform(.write)
                    return await live.engine.resume(state: try EngineState(encoded: bytes), resolution: .checkpoint(resolution), host: host)
                }
                logger.warning("a checkpoint's state is missing; the run replays from its journal", metadata: ["run_id": "\(runID)"])
            } else if let bytes = try await store.read({ db in try RunRepository.state(db, id: runID) }) {
                try await host.runJournal.willPerform(.write)  // a fired timer: the same on every replay
                return await live.engine.resume(state: try EngineState(encoded: bytes), resolution: .timerFired, host: host)
            }
        } catch {
            logger.warning("a run's stored state is unusable; it replays from its journal", metadata: ["run_id": "\(runID)", "error": "\(error)"])
        }
        return await invoke(run, live: live, host: host)
    }

    /// Records how the execution ended, with the journal entries still waiting in the same
    /// transaction (or, before a checkpoint opens, just ahead of it).
    private func settle(_ run: RunRecord, live: EngineInstance, outcome: Outcome, journal: RunJournal) async throws -> RunEnd {
        let at = Timestamp.string(now())
        let runID = run.id
        switch outcome {
        case .completed(let output):
            try await journal.commit { db in try RunRepository.finish(db, id: runID, status: .completed, output: output, error: nil, at: at) }
            return .finished
        case .failed(let error) where StorageFailure.isStorageFailure(error):
            // Not the program's failure: the executor tries the run again from its journal. What
            // waits there is what already happened (memory writes among it): keep it if the store
            // lets us, so the retry does not write over what other runs wrote since.
            try? await journal.flush()
            throw error
        case .failed(let error):
            let detail: JSONValue = ["code": .string(error.code), "message": .string(error.message), "step": error.step.map(JSONValue.string) ?? .null]
            try await journal.commit { db in try RunRepository.finish(db, id: runID, status: .failed, output: nil, error: detail, at: at) }
            return .finished
        case .suspended(.checkpoint(let request), let state):
            try await journal.flush()
            // A run cancelled while it executed opens nothing and gives its entity's turn on.
            return try await checkpoints.open(run: run, live: live, request: request, state: state) ? .waiting : .finished
        case .suspended(.timer(let until, _), let state):
            let wakeAt = Timestamp.string(until)
            let bytes = state.encoded()
            return try await journal.commit { db in try RunRepository.sleep(db, id: runID, until: wakeAt, state: bytes, at: at) } ? .waiting : .finished
        }
    }

    /// A run whose Core cannot run now waits for it; a run whose Core is gone is cancelled.
    private func holdOrDrop(_ run: RunRecord) async throws -> RunEnd {
        let exists = try await store.read { db in try CoreRepository.find(db, tenantID: run.tenantID, id: run.coreID) != nil }
        guard !exists else { return .held }
        let at = Timestamp.string(now())
        let runID = run.id
        let error: JSONValue = ["code": "core_deleted", "message": "the Core was deleted before the run could finish", "step": .null]
        try await writer.write { db in try RunRepository.finish(db, id: runID, status: .cancelled, output: nil, error: error, at: at) }
        return .finished
    }

    /// Renews the entity's lease every third of its length while the run executes.
    private func keepLease(_ address: GrainAddress) -> Task<Void, Never> {
        Task { [grains, logger] in
            var current = address
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.grainLease / 3)
                guard !Task.isCancelled else { return }
                do {
                    guard let renewed = try await grains.renew(current, lease: Self.grainLease) else {
                        logger.warning("an entity's placement lease was lost while its run executed", metadata: ["grain": "\(address.grain)"])
                        return
                    }
                    current = renewed
                } catch {
                    logger.warning("renewing an entity's placement lease failed", metadata: ["grain": "\(address.grain)", "error": "\(error)"])
                }
            }
        }
    }

    /// Places the run's entity on this node in the grain directory for the run's duration.
    private func claim(_ run: RunRecord) async throws -> GrainAddress? {
        guard let entity = run.entity else { return nil }
        let grain = "\(run.tenantID)/\(entity.coreID)/\(entity.type)/\(entity.key)"
        let address = try await grains.register(grain: String(grain.prefix(400)), node: nodeID, activation: run.id, lease: Self.grainLease)
        if address.node != nodeID {
            logger.warning("an entity is placed on another node; running here anyway (single-node appliance)", metadata: [
                "grain": "\(grain)", "node": "\(address.node)",
            ])
            return nil
        }
        return address
    }
}

extension Runtime {
    /// The tenant's notifications, newest first.
    public func notifications(tenantID: String, checkpointID: String?, statuses: [String], before cursor: String?, limit: Int) async throws -> Page<NotificationRecord> {
        let items = try await store.read { db in
            try NotificationOutbox.list(db, tenantID: tenantID, checkpointID: checkpointID, statuses: statuses, before: cursor, limit: limit + 1)
        }
        let page = Array(items.prefix(limit))
        return Page(items: page, nextCursor: items.count > limit ? page.last?.id : nil)
    }
}
