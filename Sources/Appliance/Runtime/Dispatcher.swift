import Foundation

/// A run the dispatcher may hand to the executor.
public struct RunJob: Sendable, Equatable {
    public let runID: String
    public let tenantID: String
    public let coreID: String
    public let entity: EntityRef?
}

/// How an execution ended, as far as scheduling is concerned.
public enum RunEnd: Sendable {
    /// Completed, failed or cancelled: the run will not act again.
    case finished
    /// Suspended at a checkpoint or asleep: it keeps its entity's turn until resumed.
    case waiting
    /// Its Core is paused or not running: the run waits, queued, until the Core runs.
    case held
}

/// Decides which queued run executes when (docs/runtime.md, "Ordering"): at most `workers` at
/// once; runs of one entity one at a time in acceptance order, a suspended run keeping its turn;
/// runs of paused or stopped Cores held until their Core runs. Bounded: at most
/// `maxQueued` runs wait (intake answers 429 beyond), and only their ids are held in memory —
/// the runs themselves are on disk.
public actor Dispatcher {
    public let workers: Int
    public let maxQueued: Int
    /// Runs reserved by intake or waiting to execute or executing.
    private var outstanding = 0
    private var ready: [RunJob] = []
    private var readyHead = 0
    private var held: [String: [RunJob]] = [:]
    /// Cores known not to run now (paused, stopped): their jobs are held without executing.
    private var inactive: Set<String> = []
    private var entityQueues: [EntityRef: [RunJob]] = [:]
    private var executing: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var executor: (@Sendable (RunJob) async -> RunEnd)?
    private var stopping = false

    public init(workers: Int, maxQueued: Int) {
        self.workers = max(1, workers)
        self.maxQueued = max(1, maxQueued)
    }

    /// Starts dispatching through `execute`.
    public func start(executor execute: @escaping @Sendable (RunJob) async -> RunEnd) {
        executor = execute
        pump()
    }

    /// Claims room for `count` new runs; throws 429 when the queue is full.
    func reserve(_ count: Int) throws(ApplianceError) {
        guard outstanding + count <= maxQueued else {
            throw ApplianceError(
                .tooManyRequests, code: "queue_full",
                "\(outstanding) runs are waiting, the most this appliance queues (runtime.max_queued_runs = \(maxQueued)); retry later",
                details: .object(["queued": .integer(Int64(outstanding)), "limit": .integer(Int64(maxQueued))]))
        }
        outstanding += count
    }

    /// Gives back room reserved for runs that were not written.
    func release(_ count: Int) {
        outstanding -= count
    }

    /// Queues newly accepted runs (`reserved` of them were reserved before).
    func enqueue(_ runs: [RunRecord], reserved: Int) {
        outstanding += runs.count - reserved
        for run in runs { schedule(job(run)) }
    }

    /// Queues a suspended or sleeping run to be resumed; it is at the head of its entity queue.
    func resume(_ run: RunRecord) {
        outstanding += 1
        let job = job(run)
        if let entity = job.entity {
            var queue = entityQueues[entity] ?? []
            if !queue.contains(where: { $0.runID == job.runID }) { queue.insert(job, at: 0) }
            entityQueues[entity] = queue
        }
        makeReady(job)
    }

    /// A waiting run ended without executing (cancelled): its entity's next run may go.
    func ended(_ run: RunRecord) {
        releaseTurn(job(run))
        notify(run.id)
    }

    /// Rebuilds the queues at start from every unfinished run, oldest first.
    func recover(_ runs: [RunRecord]) {
        for run in runs {
            let job = job(run)
            switch run.status {
            case .queued, .running:
                outstanding += 1
                schedule(job)
            case .suspended, .sleeping:
                if let entity = job.entity { entityQueues[entity, default: []].append(job) }
            default:
                break
            }
        }
    }

    /// The Core can run now: its held runs become ready.
    func activate(coreID: String) {
        inactive.remove(coreID)
        guard let jobs = held.removeValue(forKey: coreID) else { return }
        for job in jobs { makeReady(job) }
    }

    /// The Core does not run now (paused or detached): its new runs wait without executing.
    func deactivate(coreID: String) {
        inactive.insert(coreID)
    }

    /// True while the run is executing.
    public func isExecuting(_ runID: String) -> Bool { executing.contains(runID) }

    /// Runs waiting or executing (for metrics and back-pressure).
    public var queued: Int { outstanding }

    /// Runs executing now (for metrics).
    public var executingCount: Int { executing.count }

    /// Waits until the run stops executing (finished, waiting or held) or `timeout` passes.
    func waitForRun(_ runID: String, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.registerWaiter(runID) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            self.notify(runID)
        }
    }

    private func registerWaiter(_ runID: String) async {
        await withCheckedContinuation { continuation in
            guard isPending(runID) else { return continuation.resume() }
            waiters[runID, default: []].append(continuation)
        }
    }

    /// True while the run is executing or waiting for its turn to execute.
    private func isPending(_ runID: String) -> Bool {
        executing.contains(runID) || ready[readyHead...].contains { $0.runID == runID }
            || entityQueues.values.contains { $0.first?.runID != runID && $0.contains { $0.runID == runID } }
    }

    // MARK: scheduling

    private func job(_ run: RunRecord) -> RunJob {
        RunJob(runID: run.id, tenantID: run.tenantID, coreID: run.coreID, entity: run.entity)
    }

    private func schedule(_ job: RunJob) {
        if let entity = job.entity {
            entityQueues[entity, default: []].append(job)
            guard entityQueues[entity]?.first == job else { return }
        }
        makeReady(job)
    }

    private func makeReady(_ job: RunJob) {
        guard !inactive.contains(job.coreID) else {
            held[job.coreID, default: []].append(job)
            return
        }
        ready.append(job)
        pump()
    }

    /// Stops starting runs and waits (up to `timeout`) for the executing ones to end. Runs that
    /// did not start stay queued on disk for the next start.
    func drain(timeout: Duration) async {
        stopping = true
        let deadline = ContinuousClock.now + timeout
        while !executing.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func pump() {
        guard let executor, !stopping else { return }
        while executing.count < workers, readyHead < ready.count {
            let job = ready[readyHead]
            readyHead += 1
            if readyHead > 1024, readyHead * 2 > ready.count {
                ready.removeFirst(readyHead)
                readyHead = 0
            }
            guard !executing.contains(job.runID) else { continue }
            executing.insert(job.runID)
            Task {
                let end = await executor(job)
                self.finished(job, end)
            }
        }
    }

    private func finished(_ job: RunJob, _ end: RunEnd) {
        executing.remove(job.runID)
        switch end {
        case .held:
            inactive.insert(job.coreID)
            held[job.coreID, default: []].append(job)
        case .waiting:
            outstanding -= 1
        case .finished:
            outstanding -= 1
            releaseTurn(job)
        }
        notify(job.runID)
        pump()
    }

    private func releaseTurn(_ job: RunJob) {
        guard let entity = job.entity, var queue = entityQueues[entity] else { return }
        let wasHead = queue.first?.runID == job.runID
        queue.removeAll { $0.runID == job.runID }
        if queue.isEmpty {
            entityQueues[entity] = nil
        } else {
            entityQueues[entity] = queue
            if wasHead, let next = queue.first { makeReady(next) }
        }
    }

    private func notify(_ runID: String) {
        for waiter in waiters.removeValue(forKey: runID) ?? [] { waiter.resume() }
    }
}
