import AsyncHTTPClient
import CoreEngine
import Foundation
import NIOCore
import NIOHTTP1

/// Carries a run's `plugin` steps to the plugins (docs/runtime.md, "Models and plugins").
///
/// A plugin is served by an HTTP endpoint the operator maps to its name (`plugins.endpoints`).
/// The bridge POSTs `{plugin, action, args, core_id, run_id, step}` as JSON with
/// `Idempotency-Key: {run_id}:{step_key}` and answers the JSON reply. Connection failures,
/// timeouts and 429/5xx answers are retried (after 0.2, 0.8 and 3.2 s) with the same key; other
/// answers fail at once.
public struct PluginBridge: Sendable {
    /// Delays before the retries of a failed call.
    public static let retryDelays: [Duration] = [.milliseconds(200), .milliseconds(800), .milliseconds(3200)]
    /// Largest plugin answer read.
    static let maxAnswerBytes = 4 << 20

    let endpoints: [String: String]
    let client: HTTPClient
    let timeout: TimeAmount

    public init(endpoints: [String: String], client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        self.endpoints = endpoints
        self.client = client
        self.timeout = timeout
    }

    /// What the bridge knows of the calling run.
    public struct Caller: Sendable {
        public let coreID: String
        public let runID: String
        public let stepKey: String
        public let enabled: Set<String>
    }

    public func call(_ plugin: String, action: String, args: JSONValue, caller: Caller) async throws -> JSONValue {
        guard caller.enabled.contains(plugin) else {
            throw RunError(code: "plugin_not_enabled", message: "the Core does not enable plugin '\(plugin)' (its plugins field)", step: nil)
        }
        guard let endpoint = endpoints[plugin] else {
            throw RunError(code: "plugin_unavailable", message: "plugin '\(plugin)' has no endpoint on this appliance (plugins.endpoints)", step: nil)
        }
        let body: JSONValue = [
            "plugin": .string(plugin), "action": .string(action), "args": args, "core_id": .string(caller.coreID),
            "run_id": .string(caller.runID), "step": .string(caller.stepKey),
        ]
        var lastProblem = ""
        for attempt in 0...Self.retryDelays.count {
            if attempt > 0 { try await Task.sleep(for: Self.retryDelays[attempt - 1]) }
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Idempotency-Key", value: "\(caller.runID):\(caller.stepKey)")
            request.body = .bytes(ByteBuffer(bytes: body.encodedBytes()))
            do {
                let response = try await client.execute(request, timeout: timeout)
                let bytes = try await response.body.collect(upTo: Self.maxAnswerBytes)
                let status = response.status.code
                if (200..<300).contains(status) {
                    guard let answer = try? JSONValue.parse(bytes.readableBytesView) else {
                        throw RunError(code: "plugin_failed", message: "plugin '\(plugin)' answered \(status) with a body that is not JSON", step: nil)
                    }
                    return answer
                }
                lastProblem = "answered \(status): \(String(buffer: bytes).prefix(200))"
                guard status == 429 || status >= 500 else { break }
            } catch let error as RunError {
                throw error
            } catch {
                lastProblem = "\(error)"
            }
        }
        throw RunError(code: "plugin_failed", message: "plugin '\(plugin)' action '\(action)' \(lastProblem)", step: nil)
    }
}
