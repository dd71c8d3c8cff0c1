import CoreEngine
import Foundation
import Synchronization

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
    /// A store failed under it: it keeps its turn and executes again after the delay.
    case retry(after: Duration)
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
    private var waiters: [String: [WaitSlot]] = [:]
    /// Bumped each time a Core becomes able to run; a job remembers the value it was dispatched under.
    private var activations: [String: Int] = [:]
    private var dispatchedUnder: [String: Int] = [:]
    /// Resumes that arrived while their run was still executing: queued again when it ends.
    private var rerun: [String: RunJob] = [:]
    /// Failed executions per run (storage errors), for the retry policy.
    private var failures: [String: StorageFailures] = [:]
    /// Runs that gave up on a failing store, with the error to record once it can be written.
    private var condemned: [String: JSONValue] = [:]
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
        activations[coreID, default: 0] += 1
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
        let slot = WaitSlot()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            slot.resume()
        }
        await withCheckedContinuation { continuation in
            if isPending(runID) {
                waiters[runID, default: []].append(slot)
                slot.set(continuation)
            } else {
                continuation.resume()
            }
        }
        timer.cancel()
        waiters[runID]?.removeAll { $0 === slot }
        if waiters[runID]?.isEmpty == true { waiters[runID] = nil }
    }

    /// A Core was deleted: its held runs and entity queues are dropped (its runs were cancelled on disk).
    func forget(coreID: String) {
        let dropped = held.removeValue(forKey: coreID) ?? []
        outstanding -= dropped.count
        for job in dropped {
            failures[job.runID] = nil
            condemned[job.runID] = nil
            notify(job.runID)
        }
        for entity in entityQueues.keys where entity.coreID == coreID { entityQueues[entity] = nil }
        inactive.remove(coreID)
        activations[coreID] = nil
    }

    /// Counts a failed execution of the run — for a full disk (`full`) or another storage
    /// error, each counted apart — and answers the run's record.
    func noteFailure(_ runID: String, full: Bool) -> StorageFailures {
        var record = failures[runID] ?? StorageFailures()
        if full {
            record.fullAttempts += 1
            record.fullSince = record.fullSince ?? .now
        } else {
            record.otherAttempts += 1
        }
        failures[runID] = record
        return record
    }

    /// The run gave up (a store failed past the retry policy): when it is next dispatched, its
    /// failure `error` is recorded instead of executing it again.
    func condemn(_ runID: String, error: JSONValue) {
        condemned[runID] = error
    }

    /// The failure a condemned run is to record, or nil.
    func condemnation(_ runID: String) -> JSONValue? { condemned[runID] }

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
            guard !executing.contains(job.runID) else {
                // Resumed while its last execution is still ending: run it again once that ends.
                rerun[job.runID] = job
                continue
            }
            executing.insert(job.runID)
            dispatchedUnder[job.runID] = activations[job.coreID, default: 0]
            Task {
                let end = await executor(job)
                self.finished(job, end)
            }
        }
    }

    private func finished(_ job: RunJob, _ end: RunEnd) {
        executing.remove(job.runID)
        let dispatched = dispatchedUnder.removeValue(forKey: job.runID)
        switch end {
        case .held:
            // It waits for its Core now, not for a store: the retry policy starts afresh.
            failures[job.runID] = nil
            if dispatched == activations[job.coreID, default: 0] {
                inactive.insert(job.coreID)
                held[job.coreID, default: []].append(job)
            } else {
                // The Core became able to run while this job looked: look again.
                makeReady(job)
            }
        case .waiting:
            outstanding -= 1
            failures[job.runID] = nil
            condemned[job.runID] = nil
        case .finished:
            outstanding -= 1
            failures[job.runID] = nil
            condemned[job.runID] = nil
            releaseTurn(job)
        case .retry(let delay):
            // Still its entity's head and still counted: it only waits before trying again.
            Task {
                try? await Task.sleep(for: delay)
                self.makeReady(job)
            }
            pump()
            return
        }
        notify(job.runID)
        if let again = rerun.removeValue(forKey: job.runID) { makeReady(again) }
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

/// A run's failed executions for storage errors (``Dispatcher/noteFailure(_:full:)``): a full
/// disk is waited out by time, other errors are given a number of attempts.
struct StorageFailures: Sendable {
    var fullAttempts = 0
    /// When the run first found the disk full.
    var fullSince: ContinuousClock.Instant?
    var otherAttempts = 0
}

/// One long-poller's wake-up: resumed exactly once, by the run ending or by its timeout,
/// whichever comes first.
final class WaitSlot: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, resumed: Bool)>((nil, false))

    func set(_ continuation: CheckedContinuation<Void, Never>) {
        let resumeNow = state.withLock { state -> Bool in
            if state.resumed { return true }
            state.continuation = continuation
            return false
        }
        if resumeNow { continuation.resume() }
    }

    func resume() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.resumed else { return nil }
            state.resumed = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}
