import Appliance
import Logging
import ServiceLifecycle

/// Background upkeep while serving: purges expired Core-memory keys every
/// `storage.kv.purge_interval_seconds` (they are invisible from the moment they expire; this
/// reclaims their space). Ends with graceful shutdown.
struct MaintenanceService: Service {
    let appliance: Appliance
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await loop() }
    }

    private func loop() async throws {
        let interval = appliance.configuration.kvPurgeInterval
        while true {
            try await Task.sleep(for: interval)
            do {
                let removed = try await appliance.stores.memory.purgeExpired()
                if removed > 0 { logger.debug("purged expired memory keys", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.warning("purging expired memory keys failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
