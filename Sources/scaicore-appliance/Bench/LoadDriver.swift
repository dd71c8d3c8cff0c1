import Foundation

/// Closed-loop HTTP load: N workers, each on its own keep-alive connection, send a request, wait
/// for the answer, repeat, for a fixed time. Prints requests/s and latency percentiles.
struct LoadDriver {
    let host: String
    let port: Int
    let connections: Int
    let seconds: Double

    init(url: String, connections: Int, seconds: Double) throws {
        guard let parts = URLComponents(string: url), let host = parts.host, let port = parts.port else {
            throw BenchFailure("not an http://host:port URL: \(url)")
        }
        self.host = host
        self.port = port
        self.connections = connections
        self.seconds = seconds
    }

    struct Result {
        let perSecond: Double
        let p50: Duration
        let p99: Duration
    }

    /// Runs `request` (given the worker's connection and a unique sequence number) from every
    /// worker; answers other than 2xx count as errors.
    func run(name: String, _ request: @escaping @Sendable (BenchHTTPConnection, Int) async throws -> Int) async throws -> Result {
        var open: [BenchHTTPConnection] = []
        for _ in 0..<connections { open.append(try await BenchHTTPConnection.connect(host: host, port: port)) }
        let pool = open
        let measured = await Swift.Result {
            _ = try await measure(pool, for: 1.0, request)  // warm-up
            return try await measure(pool, for: seconds, request)
        }
        for connection in pool { await connection.close() }
        let (count, errors, latencies) = try measured.get()
        let sorted = latencies.sorted()
        let result = Result(
            perSecond: Double(count) / seconds,
            p50: sorted.isEmpty ? .zero : sorted[sorted.count / 2],
            p99: sorted.isEmpty ? .zero : sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
        print(name.padding(toLength: 48, withPad: " ", startingAt: 0)
            + String(format: " %9.0f req/s   p50 %7.2f ms   p99 %7.2f ms   errors %d",
                     result.perSecond, result.p50.milliseconds, result.p99.milliseconds, errors))
        return result
    }

    private func measure(_ pool: [BenchHTTPConnection], for duration: Double,
                         _ request: @escaping @Sendable (BenchHTTPConnection, Int) async throws -> Int) async throws -> (Int, Int, [Duration]) {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(duration * 1000))
        return try await withThrowingTaskGroup(of: (Int, Int, [Duration]).self) { group in
            for (worker, connection) in pool.enumerated() {
                group.addTask {
                    var count = 0, errors = 0
                    var latencies: [Duration] = []
                    latencies.reserveCapacity(4096)
                    while clock.now < deadline {
                        let started = clock.now
                        let status = try await request(connection, worker * 10_000_000 + count)
                        latencies.append(clock.now - started)
                        count += 1
                        if !(200..<300).contains(status) { errors += 1 }
                    }
                    return (count, errors, latencies)
                }
            }
            var total = 0, errors = 0
            var all: [Duration] = []
            for try await (count, failed, latencies) in group {
                total += count
                errors += failed
                all += latencies
            }
            return (total, errors, all)
        }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
