import CoreEngine
import Foundation
import Logging
import Storage

/// The runtime's clockwork: every second it wakes sleeping runs whose time has come and fires
/// `schedule` triggers of running Cores for each new minute; every
/// `checkpoints.sweep_interval_seconds` it sweeps checkpoints. Runs until cancelled.
public struct RuntimeTicker: Sendable {
    let runtime: Runtime
    let sweepInterval: Duration
    let remindBefore: Duration?

    public init(runtime: Runtime, sweepInterval: Duration, remindBefore: Duration?) {
        self.runtime = runtime
        self.sweepInterval = sweepInterval
        self.remindBefore = remindBefore
    }

    public func run() async {
        var lastSweep = ContinuousClock.now - sweepInterval
        var lastMinute = Self.minute(of: runtime.now())
        while !Task.isCancelled {
            do {
                try await wakeSleepers()
                let minute = Self.minute(of: runtime.now())
                if minute > lastMinute {
                    // Minutes this process lived through; a long stall fires at most the last hour.
                    var next = max(lastMinute + 60, minute - 3600)
                    while next <= minute {
                        try await fireSchedules(at: next)
                        next += 60
                    }
                    lastMinute = minute
                }
                if ContinuousClock.now - lastSweep >= sweepInterval {
                    lastSweep = .now
                    let report = try await runtime.checkpoints.sweep(remindBefore: remindBefore)
                    if report != .init() {
                        runtime.logger.info("checkpoint sweep", metadata: [
                            "expired": "\(report.expired)", "escalated": "\(report.escalated)", "reminded": "\(report.reminded)",
                        ])
                    }
                }
            } catch {
                runtime.logger.error("runtime tick failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Sleeping runs whose time passed are queued to resume.
    func wakeSleepers() async throws {
        let stamp = Timestamp.string(runtime.now())
        let due = try await runtime.store.read { db in try RunRepository.due(db, at: stamp, limit: 500) }
        for run in due {
            let woken = try await runtime.writer.write { db -> RunRecord? in
                guard try RunRepository.markResumable(db, id: run.id, from: .sleeping, at: stamp) else { return nil }
                return try RunRepository.find(db, tenantID: run.tenantID, id: run.id)
            }
            if let woken { await runtime.dispatcher.resume(woken) }
        }
    }

    /// Fires every schedule of a running Core that matches the minute starting at `epochSeconds`.
    /// The fire's idempotency key (flow and minute) makes it happen once, whatever restarts.
    func fireSchedules(at epochSeconds: Int) async throws {
        let date = Date(timeIntervalSince1970: TimeInterval(epochSeconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        guard let minute = parts.minute, let hour = parts.hour, let day = parts.day, let month = parts.month, let weekday = parts.weekday else { return }
        let stamp = Timestamp.string(date)
        for live in await runtime.engines.all() where !live.paused {
            for (name, flow) in live.engine.bundle.flows.sorted(by: { $0.key < $1.key }) {
                for trigger in flow.triggers {
                    guard case .schedule(let cron) = trigger, cron.matches(minute: minute, hour: hour, day: day, month: month, weekday: weekday - 1) else { continue }
                    var submission = Submission(tenantID: live.tenantID, coreID: live.coreID, eventName: "schedule:\(name)", data: .object([:]), source: .schedule)
                    submission.flow = name
                    submission.scheduleTrigger = ["type": "schedule", "cron": .string(cron.description), "at": .string(stamp)]
                    submission.idempotencyKey = "schedule:\(name):\(stamp)"
                    submission.bypassQueueLimit = true
                    do {
                        _ = try await runtime.intake.accept(submission)
                    } catch {
                        runtime.logger.warning("a schedule could not fire", metadata: ["core_id": "\(live.coreID)", "flow": "\(name)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    static func minute(of date: Date) -> Int {
        Int(date.timeIntervalSince1970) / 60 * 60
    }
}
