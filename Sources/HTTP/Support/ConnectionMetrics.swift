import Appliance
import ListenerSupport
import Prometheus

/// `http_connections_closed_total{listener, reason}`: connections a listener closed because they
/// broke its limits (docs/configuration.md, `http.*` and `s3.*`).
public enum ConnectionMetrics {
    /// A callback for a listener's guard that counts each closed connection in `registry`.
    public static func closed(listener: String, in registry: PrometheusCollectorRegistry) -> @Sendable (ConnectionLimits.Breach) -> Void {
        let counters = Dictionary(uniqueKeysWithValues: ConnectionLimits.Breach.allCases.map { breach in
            (breach, registry.makeCounter(
                descriptor: .init(metricName: "http_connections_closed", unitName: "total", helpText: "Connections closed for breaking a listener limit"),
                labels: [("listener", listener), ("reason", breach.rawValue)]))
        })
        return { breach in counters[breach]?.increment() }
    }
}

extension ConnectionLimits {
    /// The limits a listener's configuration sets.
    public init(_ settings: ApplianceConfiguration.ListenerLimits) {
        self.init(
            headerTimeout: .seconds(settings.headerTimeoutSeconds), idleTimeout: .seconds(settings.idleTimeoutSeconds),
            minBodyBytesPerSecond: settings.minBodyBytesPerSecond, bodyRateWindow: .seconds(settings.bodyRateWindowSeconds))
    }
}
