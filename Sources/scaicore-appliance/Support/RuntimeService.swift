import Appliance
import ServiceLifecycle

/// The runtime's clockwork (sleep wake-ups, schedules, the checkpoint sweep) and the notifier,
/// as services of `serve`: they stop at graceful shutdown.
struct RuntimeService: Service {
    let appliance: Appliance

    func run() async throws {
        let configuration = appliance.configuration
        let ticker = RuntimeTicker(
            runtime: appliance.runtime, sweepInterval: configuration.checkpointSweepInterval,
            remindBefore: configuration.checkpointRemindBefore)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await ticker.run() }
                group.addTask { await appliance.notifier.run() }
            }
        }
    }
}
