import CoreEngine
import Foundation
import Synchronization

/// A HostEnvironment over in-memory maps (our own protocol, so not a mock of a third party).
/// Models and plugins answer scripted results; every performed effect is logged; `crashBefore`
/// makes the Nth effect throw before it acts, as a process dying there would.
final class TestHost: HostEnvironment {
    struct Crash: Error, CustomStringConvertible { var description: String { "simulated crash" } }

    struct World {
        var journal: [(key: String, value: JSONValue)] = []
        var memory: [String: JSONValue] = [:]
        var emitted: [JSONValue] = []
        var performed: [String] = []
        var logs: [String] = []
        var crashBefore: Int?
        var crashed = false
    }

    let world: Mutex<World>
    let models: [String: String]
    let plugins: [String: JSONValue]
    let clock: Date

    init(models: [String: String] = [:], plugins: [String: JSONValue] = [:], memory: [String: JSONValue] = [:],
         clock: Date = Date(timeIntervalSince1970: 1_767_225_600)) {  // 2026-01-01T00:00:00Z
        var world = World()
        world.memory = memory
        self.world = Mutex(world)
        self.models = models
        self.plugins = plugins
        self.clock = clock
    }

    var journal: any Journal { TestJournal(host: self) }

    /// Logs an effect about to act, or throws when the simulated crash is due.
    private func perform(_ description: String) throws {
        try world.withLock { world in
            if let limit = world.crashBefore, world.performed.count >= limit {
                world.crashed = true
                throw Crash()
            }
            world.performed.append(description)
        }
    }

    func model(alias: String, declared: ModelAlias, prompt: String, system: String?) async throws -> String {
        try perform("model \(alias): \(prompt)")
        return models[alias] ?? "reply from \(alias)"
    }

    func plugin(_ plugin: String, action: String, args: JSONValue) async throws -> JSONValue {
        try perform("plugin \(plugin).\(action) \(args.encodedText())")
        return plugins["\(plugin).\(action)"] ?? ["ok": true]
    }

    func memoryGet(_ key: String) async throws -> JSONValue? {
        try perform("memory.get \(key)")
        return world.withLock { $0.memory[key] }
    }

    func memoryPut(_ key: String, value: JSONValue, ttlSeconds: Int?) async throws {
        try perform("memory.put \(key)")
        world.withLock { $0.memory[key] = value }
    }

    func memoryDelete(_ key: String) async throws {
        try perform("memory.delete \(key)")
        world.withLock { $0.memory[key] = nil }
    }

    func emit(event: String, data: JSONValue) async throws {
        try perform("emit \(event)")
        world.withLock { $0.emitted.append(["event": .string(event), "data": data]) }
    }

    func log(level: LogLevel, message: String, step: String) async {
        world.withLock { $0.logs.append("\(level.rawValue) \(step): \(message)") }
    }

    func now() -> Date { clock }

    var journalKeys: [String] { world.withLock { $0.journal.map(\.key) } }
    var performed: [String] { world.withLock { $0.performed } }
    var emitted: [JSONValue] { world.withLock { $0.emitted } }
    var memory: [String: JSONValue] { world.withLock { $0.memory } }
}

struct TestJournal: Journal {
    let host: TestHost

    func lookup(_ key: String) async throws -> JSONValue? {
        host.world.withLock { world in world.journal.first { $0.key == key }?.value }
    }

    func record(_ key: String, _ result: JSONValue) async throws {
        try host.world.withLock { world in
            guard !world.journal.contains(where: { $0.key == key }) else { throw RunError(code: "journal", message: "key \(key) recorded twice", step: nil) }
            world.journal.append((key, result))
        }
    }
}

/// Runs a flow to its end, answering each suspension with the next resolution after a round trip
/// of the state through JSON (as the appliance stores it).
struct Driver {
    let engine: Engine
    let context = Engine.RunContext(runID: "run-1", startedAt: "2026-01-01T00:00:00Z")

    struct Result {
        var outcome: Outcome
        var suspensions: [String] = []
        var resolutionsUsed = 0
    }

    func run(flow: String, input: JSONValue, trigger: JSONValue = [:], env: [String: JSONValue] = [:],
             resolutions: [Resolution], from firstResolution: Int = 0, host: TestHost) async throws -> Result {
        var context = self.context
        context.trigger = trigger
        context.env = env
        var result = Result(outcome: await engine.invoke(flow: flow, input: input, context: context, host: host))
        result.resolutionsUsed = firstResolution
        while case .suspended(let suspension, let state) = result.outcome {
            if case .checkpoint = suspension { result.suspensions.append("checkpoint") } else { result.suspensions.append("timer") }
            guard result.resolutionsUsed < resolutions.count else { return result }
            // Both stored forms must give back the same state.
            let restored = try EngineState(encoded: state.encoded())
            guard restored == state, try JSONDecoder().decode(EngineState.self, from: JSONEncoder().encode(state)) == state else {
                throw RunError(code: "test", message: "state changed in a round trip", step: nil)
            }
            let resolution = resolutions[result.resolutionsUsed]
            result.resolutionsUsed += 1
            result.outcome = await engine.resume(state: restored, resolution: resolution, host: host)
        }
        return result
    }
}
