import CoreEngine
import Foundation
import Testing

/// Runs every scenario in fixtures/runs against the test host: the outcome, the suspensions,
/// the events, the memory and the journal keys must be as the scenario says; then the same run
/// is cut before each effect (a simulated crash) and re-run with its journal, and every effect
/// must still have happened exactly once with the same result.
@Suite struct ScenarioTests {
    static let runs = BundleFixtureTests.fixtures.appendingPathComponent("runs")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    struct Scenario {
        let engine: Engine
        let flow: String
        let input: JSONValue
        let trigger: JSONValue
        let env: [String: JSONValue]
        let models: [String: String]
        let plugins: [String: JSONValue]
        let memory: [String: JSONValue]
        let resolutions: [Resolution]
        let expect: [String: JSONValue]

        init(_ name: String) throws {
            let json = try JSONValue.parse(Array(try Data(contentsOf: ScenarioTests.runs.appendingPathComponent(name))))
            let fields = json.objectValue ?? [:]
            let bundleName = fields["bundle"]?.stringValue ?? ""
            engine = Engine(bundle: try BundleDecoder.decode(try BundleFixtureTests.bytes("bundles", bundleName)))
            flow = fields["flow"]?.stringValue ?? ""
            input = fields["input"] ?? .null
            trigger = fields["trigger"] ?? [:]
            env = fields["env"]?.objectValue ?? [:]
            let host = fields["host"]?.objectValue ?? [:]
            models = (host["models"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            plugins = host["plugins"]?.objectValue ?? [:]
            memory = host["memory"]?.objectValue ?? [:]
            resolutions = (fields["resolutions"]?.arrayValue ?? []).map { item in
                if let checkpoint = item.objectValue?["checkpoint"] { return .checkpoint(checkpoint) }
                return .timerFired
            }
            expect = fields["expect"]?.objectValue ?? [:]
        }

        func host() -> TestHost { TestHost(models: models, plugins: plugins, memory: memory) }

        func run(on host: TestHost, from resolution: Int = 0) async throws -> Driver.Result {
            try await Driver(engine: engine).run(flow: flow, input: input, trigger: trigger, env: env, resolutions: resolutions, from: resolution, host: host)
        }
    }

    @Test func thereAreScenariosForEveryBundle() throws {
        let bundles = Set(try Self.names.map { try JSONValue.parse(Array(try Data(contentsOf: Self.runs.appendingPathComponent($0)))).objectValue?["bundle"]?.stringValue ?? "" })
        #expect(bundles == Set(BundleFixtureTests.files("bundles", ".json")))
    }

    @Test(arguments: names)
    func scenarioRunsAsExpected(_ name: String) async throws {
        let scenario = try Scenario(name)
        let host = scenario.host()
        let result = try await scenario.run(on: host)
        let expect = scenario.expect
        switch result.outcome {
        case .completed(let output):
            #expect(expect["status"] == "completed", "\(name) completed with \(output.encodedText())")
            if let expected = expect["output"] { #expect(output.jsonEquals(expected), "\(name): output \(output.encodedText())") }
        case .failed(let error):
            #expect(expect["status"] == "failed", "\(name) failed: \(error)")
            if let code = expect["error_code"]?.stringValue { #expect(error.code == code, "\(name): \(error)") }
        case .suspended(let suspension, _):
            Issue.record("\(name) is still suspended on \(suspension): more resolutions are needed")
        }
        if let suspensions = expect["suspensions"]?.arrayValue {
            #expect(result.suspensions == suspensions.compactMap(\.stringValue), "\(name)")
        }
        if let emitted = expect["emitted"] {
            #expect(JSONValue.array(host.emitted).jsonEquals(emitted), "\(name): emitted \(JSONValue.array(host.emitted).encodedText())")
        }
        for (key, value) in expect["memory"]?.objectValue ?? [:] {
            #expect(host.memory[key].map { $0.jsonEquals(value) } == true, "\(name): memory[\(key)] = \(host.memory[key]?.encodedText() ?? "absent")")
        }
        if let effects = expect["effects"]?.arrayValue {
            #expect(host.journalKeys == effects.compactMap(\.stringValue), "\(name): journal \(host.journalKeys)")
        }
    }

    @Test(arguments: names)
    func aCrashBeforeAnyEffectRepeatsNoEffect(_ name: String) async throws {
        let scenario = try Scenario(name)
        let clean = scenario.host()
        let reference = try await scenario.run(on: clean)
        let effects = clean.performed.count
        for cut in 0..<effects {
            let host = scenario.host()
            host.world.withLock { $0.crashBefore = cut }
            let crashed = try await scenario.run(on: host)
            #expect(host.world.withLock { $0.crashed }, "\(name): the run did not reach effect \(cut)")
            // The process restarts: the same stores (memory, events, journal), the run from its start.
            host.world.withLock { $0.crashBefore = nil }
            let recovered = try await scenario.run(on: host, from: crashed.resolutionsUsed)
            #expect(host.performed == clean.performed, "\(name), cut before effect \(cut): effects \(host.performed) vs \(clean.performed)")
            #expect(host.emitted == clean.emitted && host.memory == clean.memory, "\(name), cut \(cut)")
            switch (recovered.outcome, reference.outcome) {
            case (.completed(let a), .completed(let b)): #expect(a == b, "\(name), cut \(cut)")
            case (.failed(let a), .failed(let b)): #expect(a == b, "\(name), cut \(cut)")
            default: Issue.record("\(name), cut \(cut): \(recovered.outcome) vs \(reference.outcome)")
            }
        }
    }
}
