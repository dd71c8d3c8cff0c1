import Prometheus
import Storage
import Synchronization

/// `scaicore_storage_refused_writes_total{store, reason}`: writes a store refused for a full disk
/// (`full`) or an I/O error (`io_error`), as ``StorageHealth`` counted them — brought into the
/// registry's counters by their growth since the last scrape.
final class RefusedWritesMetric: Sendable {
    private let reported = Mutex<[StorageHealth.Key: Int]>([:])

    func update(from health: StorageHealth, in registry: PrometheusCollectorRegistry) {
        let growth = reported.withLock { reported in
            // Read under the lock: two scrapes at once must not count the same growth twice.
            let counts = health.refusedWrites
            defer { reported = counts }
            return StorageFault.Store.allCases.flatMap { store in
                StorageFault.Kind.allCases.map { kind in
                    let key = StorageHealth.Key(store: store, kind: kind)
                    return (key, (counts[key] ?? 0) - (reported[key] ?? 0))
                }
            }
        }
        for (key, delta) in growth {
            let counter = registry.makeCounter(
                descriptor: .init(metricName: "scaicore_storage_refused_writes", unitName: "total", helpText: "Writes a store refused: a full disk or an I/O error"),
                labels: [("store", key.store.rawValue), ("reason", key.kind.rawValue)])
            if delta > 0 { counter.increment(by: Int64(delta)) }
        }
    }
}
