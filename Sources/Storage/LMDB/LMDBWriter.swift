import CLMDB
import Foundation
import Logging
import Synchronization

/// The single writer thread of an ``LMDBEnvironment``: takes every queued write, runs each in a
/// nested transaction of one outer transaction, commits once, then answers them all.
final class LMDBWriter: Sendable {
    /// One queued write. `perform` answers whether the body succeeded (its child transaction is
    /// then kept); `finish` gets the commit's error, if any.
    struct Job: Sendable {
        let perform: @Sendable (borrowing LMDBTransaction) -> Performed
        let finish: @Sendable ((any Error)?) -> Void
    }

    /// What became of a job's body.
    enum Performed { case kept, rolledBack, mapFull }

    /// Where a job's typed result waits between the writer thread and the continuation.
    final class Outcome<T>: @unchecked Sendable {
        var result: Result<T, any Error> = .failure(CancellationError())
    }

    private struct State {
        var queue: [Job] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let logger: Logger
    /// Most jobs committed together: bounds the time one batch holds the writer.
    private let maxBatch = 256

    init(logger: Logger) { self.logger = logger }

    func start(environment: LMDBEnvironment) {
        let thread = Thread { [weak environment] in
            while true {
                self.wakeUp.wait()
                let (jobs, stopping) = self.state.withLock { state -> ([Job], Bool) in
                    let batch = Array(state.queue.prefix(self.maxBatch))
                    state.queue.removeFirst(batch.count)
                    return (batch, state.stopping && state.queue.isEmpty)
                }
                if !jobs.isEmpty {
                    // The strong reference to the environment ends before the waiters are
                    // resumed: were the last reference dropped by a waiter first, the
                    // environment's deinit would otherwise run on this thread.
                    let failure: (any Error)? = {
                        guard let environment else { return LMDBError.badTransaction }
                        return self.run(jobs, environment: environment)
                    }()
                    for job in jobs { job.finish(failure) }
                }
                if stopping { break }
            }
            self.stopped.signal()
        }
        thread.name = "lmdb-writer"
        thread.start()
    }

    func enqueue(_ job: Job) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.queue.append(job)
            return true
        }
        if accepted { wakeUp.signal() } else { job.finish(LMDBError.badTransaction) }
    }

    /// Finishes the queued jobs and ends the thread.
    func stop() {
        let alreadyStopping = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.stopping
        }
        guard !alreadyStopping else { return }
        wakeUp.signal()
        // Never wait for ourselves (the environment's deinit running on the writer thread).
        if Thread.current.name != "lmdb-writer" { stopped.wait() }
    }

    /// Runs and commits a batch; answers the error that failed the whole batch, if any. A full
    /// map grows and the batch runs again; a map grown by another process is adopted first.
    private func run(_ jobs: [Job], environment: LMDBEnvironment) -> (any Error)? {
        do {
            _ = try environment.withResizeGuard { () throws -> Bool? in
                let parent = try environment.beginWrite(parent: nil)
                for job in jobs {
                    let child: OpaquePointer
                    do { child = try environment.beginWrite(parent: parent) } catch {
                        mdb_txn_abort(parent)
                        throw error
                    }
                    switch job.perform(LMDBTransaction(pointer: child)) {
                    case .kept:
                        let code = mdb_txn_commit(child)
                        if code != 0 {
                            mdb_txn_abort(parent)
                            if code == MDB_MAP_FULL { return nil }
                            throw LMDBError(code: code)
                        }
                    case .rolledBack:
                        mdb_txn_abort(child)
                    case .mapFull:
                        mdb_txn_abort(child)
                        mdb_txn_abort(parent)
                        return nil
                    }
                }
                let code = mdb_txn_commit(parent)
                if code == MDB_MAP_FULL { return nil }
                try check(code)
                return true
            }
            return nil
        } catch {
            logger.error("LMDB write failed", metadata: ["path": "\(environment.path)", "error": "\(error)"])
            return error
        }
    }

    /// Runs one body synchronously in its own transaction, growing the map as needed.
    func runNow<T>(environment: LMDBEnvironment, _ body: (borrowing LMDBTransaction) throws -> T) throws -> T {
        try environment.withResizeGuard { () throws -> T? in
            let pointer = try environment.beginWrite(parent: nil)
            do {
                let value = try body(LMDBTransaction(pointer: pointer))
                let code = mdb_txn_commit(pointer)
                if code == 0 { return value }
                guard code == MDB_MAP_FULL else { throw LMDBError(code: code) }
                return nil
            } catch LMDBError.mapFull {
                mdb_txn_abort(pointer)
                return nil
            } catch {
                mdb_txn_abort(pointer)
                throw error
            }
        }
    }
}
