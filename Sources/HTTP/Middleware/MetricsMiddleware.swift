import Hummingbird
import Prometheus
import Synchronization

/// Counts requests by route template, method and status, and records their latency.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry
    private let handles = MetricHandles()
    static var buckets: [Duration] {
        [.microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
         .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        // Clients choose the method: anything unusual is one label value, so labels stay few.
        let method = MetricHandles.methods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        let (counter, histogram) = handles.get(route: route, method: method, status: response.status.code) { route, method, status in
            let counter = registry.makeCounter(
                descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests served"),
                labels: [("route", route), ("method", method), ("status", String(status))])
            let histogram = registry.makeDurationHistogram(
                descriptor: .init(metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
                labels: [("route", route), ("method", method)], buckets: Self.buckets)
            return (counter, histogram)
        }
        counter.increment()
        histogram.record(ContinuousClock.now - started)
        return response
    }
}

/// The registry's counter and histogram of each (route, method, status), looked up once: the
/// registry builds label strings and takes its lock on every `make…` call.
final class MetricHandles: Sendable {
    /// The methods counted under their own name.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    private struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private let handles = Mutex<[Key: (Counter, DurationHistogram)]>([:])

    func get(route: String, method: String, status: Int, make: (String, String, Int) -> (Counter, DurationHistogram)) -> (Counter, DurationHistogram) {
        let key = Key(route: route, method: method, status: status)
        if let found = handles.withLock({ $0[key] }) { return found }
        let made = make(route, method, status)
        handles.withLock { $0[key] = made }
        return made
    }
}
