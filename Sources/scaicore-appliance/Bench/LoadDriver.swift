import AsyncHTTPClient
import CoreEngine
import Foundation
import NIOCore
import NIOHTTP1

/// Closed-loop HTTP load: N workers each send a request, wait for the answer, repeat, for a
/// fixed time. Prints requests/s and latency percentiles.
struct LoadDriver {
    let client: HTTPClient
    let connections: Int
    let seconds: Double

    struct Result {
        let perSecond: Double
        let p50: Duration
        let p99: Duration
    }

    /// Runs `request` (given a unique sequence number) from every worker; non-2xx answers count as errors.
    func run(name: String, _ request: @escaping @Sendable (Int) async throws -> Int) async throws -> Result {
        _ = try await measure(for: 1.0, request)  // warm-up
        let (count, errors, latencies) = try await measure(for: seconds, request)
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

    private func measure(for duration: Double, _ request: @escaping @Sendable (Int) async throws -> Int) async throws -> (Int, Int, [Duration]) {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(duration * 1000))
        return try await withThrowingTaskGroup(of: (Int, Int, [Duration]).self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var count = 0, errors = 0
                    var latencies: [Duration] = []
                    latencies.reserveCapacity(4096)
                    while clock.now < deadline {
                        let started = clock.now
                        let status = try await request(worker * 10_000_000 + count)
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

    static func status(_ client: HTTPClient, url: String, method: HTTPMethod, auth: String?, body: String?) async throws -> Int {
        let response = try await client.execute(request(url, method, auth, body), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 22)
        return Int(response.status.code)
    }

    static func send(_ client: HTTPClient, url: String, method: HTTPMethod, auth: String?, body: String?) async throws -> JSONValue {
        let response = try await client.execute(request(url, method, auth, body), timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return try JSONValue.parse(bytes.readableBytesView)
    }

    private static func request(_ url: String, _ method: HTTPMethod, _ auth: String?, _ body: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let auth { request.headers.add(name: "Authorization", value: auth) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return request
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
