import ArgumentParser
import CoreEngine
import Foundation

/// `bench engine`: interpreter speed on pure steps, and the cost of a suspended run's state.
struct BenchEngine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Pure steps/s of a 20-step set/if/expression flow, and state encode+decode time and size with 100 variables.")

    @Option(help: "Seconds per measurement.") var seconds = 3.0

    func run() async throws {
        let context = Engine.RunContext(runID: "bench", startedAt: "2026-01-01T00:00:00Z")
        let host = QuietHost()

        // 1. Pure steps: 20 steps (set, if, expressions) per run, many runs.
        var steps: [JSONValue] = []
        for index in 0..<9 {
            steps.append(["id": .string("s\(index)"), "op": "set", "var": .string("v\(index)"), "value": .string("{{ input.n * \(index + 1) + \(index) }}")])
            steps.append(["id": .string("c\(index)"), "op": "if", "cond": .string("v\(index) % 2 == 0 && input.flag"),
                          "then": [["id": .string("t\(index)"), "op": "set", "var": "even", "value": true]]])
        }
        steps.append(["id": "last", "op": "set", "var": "done", "value": true])
        steps.append(["id": "ret", "op": "return", "value": "{{ v8 }}"])
        let pure = Engine(bundle: try BundleDecoder.decode(bundle(steps)))
        let clock = ContinuousClock()
        var runs = 0, executed = 0
        let started = clock.now
        while clock.now - started < .milliseconds(Int(seconds * 1000)) {
            for _ in 0..<100 {
                guard case .completed = await pure.invoke(flow: "main", input: ["n": 7, "flag": true], context: context, host: host) else {
                    throw ValidationError("the bench flow did not complete")
                }
                runs += 1
            }
        }
        let elapsed = (clock.now - started).seconds
        // Each run executes 20 top-level steps plus the then-step of every even value.
        executed = runs * 20 + runs * (0..<9).filter { (7 * ($0 + 1) + $0) % 2 == 0 }.count
        print(String(format: "pure steps: %.0f steps/s (%d runs of %d steps in %.2f s) — target >= 1,000,000", Double(executed) / elapsed, runs, executed / max(runs, 1), elapsed))
        // Reference in the same run: the same 20 expressions evaluated directly, without the interpreter.
        let expressions = try (0..<9).flatMap { index in
            [try ExpressionParser.parse("input.n * \(index + 1) + \(index)"), try ExpressionParser.parse("v\(index) % 2 == 0 && input.flag")]
        } + [try ExpressionParser.parse("true"), try ExpressionParser.parse("v8")]
        var evaluations = 0
        let referenceStart = clock.now
        while clock.now - referenceStart < .milliseconds(Int(seconds * 1000)) {
            for _ in 0..<100 {
                var variables: [String: JSONValue] = ["input": ["n": 7, "flag": true]]
                for (position, expression) in expressions.enumerated() {
                    let value = try ExpressionEvaluator.evaluate(expression, variables: variables)
                    if position % 2 == 0 { variables["v\(position / 2)"] = value }
                }
                evaluations += expressions.count
            }
        }
        let referenceRate = Double(evaluations) / (clock.now - referenceStart).seconds
        print(String(format: "  reference: the same expressions evaluated directly: %.0f/s; interpreter overhead factor %.2f",
                     referenceRate, referenceRate / (Double(executed) / elapsed)))

        // 2. State round trip: a run suspended with 100 variables.
        var suspendSteps: [JSONValue] = (0..<100).map { ["id": .string("v\($0)"), "op": "set", "var": .string("var\($0)"), "value": .string("value number \($0)")] }
        suspendSteps.append(["id": "wait", "op": "sleep", "duration": "PT1H"])
        let suspending = Engine(bundle: try BundleDecoder.decode(bundle(suspendSteps)))
        guard case .suspended(_, let state) = await suspending.invoke(flow: "main", input: nil, context: context, host: host) else {
            throw ValidationError("the bench flow did not suspend")
        }
        var trips = 0
        var size = 0
        let tripStart = clock.now
        while clock.now - tripStart < .milliseconds(Int(seconds * 1000)) {
            let data = state.encoded()
            size = data.count
            _ = try EngineState(encoded: data)
            trips += 1
        }
        let perTrip = (clock.now - tripStart).seconds / Double(trips) * 1e6
        let stored = state.encoded()
        let encodeStart = clock.now
        for _ in 0..<trips { _ = state.encoded() }
        let encodeTime = (clock.now - encodeStart).seconds / Double(trips) * 1e6
        let decodeStart = clock.now
        for _ in 0..<trips { _ = try EngineState(encoded: stored) }
        let decodeTime = (clock.now - decodeStart).seconds / Double(trips) * 1e6
        print(String(format: "state round trip (100 variables): %.1f µs encode+decode (encode %.1f, decode %.1f), %d bytes — target < 50 µs",
                     perTrip, encodeTime, decodeTime, size))
        // Reference in the same run: Foundation's JSONEncoder/JSONDecoder over the same state (it is Codable).
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        var codableTrips = 0
        var codableSize = 0
        let codableStart = clock.now
        while clock.now - codableStart < .milliseconds(Int(seconds * 1000)) {
            let data = try encoder.encode(state)
            codableSize = data.count
            _ = try decoder.decode(EngineState.self, from: data)
            codableTrips += 1
        }
        let codablePerTrip = (clock.now - codableStart).seconds / Double(codableTrips) * 1e6
        print(String(format: "  reference: JSONEncoder+JSONDecoder of the same state: %.1f µs, %d bytes (%.1fx slower)",
                     codablePerTrip, codableSize, codablePerTrip / perTrip))
    }

    private func bundle(_ steps: [JSONValue]) -> JSONValue {
        ["ir_version": "1.0", "name": "bench", "version": "1", "flows": ["main": ["triggers": [["type": "api"]], "steps": .array(steps)]]]
    }
}

/// A host for pure benchmarks: no effects are expected.
private struct QuietHost: HostEnvironment {
    struct NoEffects: Error {}
    struct NoJournal: Journal {
        func lookup(_ key: String) async throws -> JSONValue? { nil }
        func record(_ key: String, _ result: JSONValue) async throws {}
    }

    var journal: any Journal { NoJournal() }
    func model(alias: String, declared: ModelAlias, prompt: String, system: String?) async throws -> String { throw NoEffects() }
    func plugin(_ plugin: String, action: String, args: JSONValue) async throws -> JSONValue { throw NoEffects() }
    func memoryGet(_ key: String) async throws -> JSONValue? { throw NoEffects() }
    func memoryPut(_ key: String, value: JSONValue, ttlSeconds: Int?) async throws { throw NoEffects() }
    func memoryDelete(_ key: String) async throws { throw NoEffects() }
    func emit(event: String, data: JSONValue) async throws { throw NoEffects() }
    func log(level: LogLevel, message: String, step: String) async {}
    func now() -> Date { Date(timeIntervalSince1970: 1_767_225_600) }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
