import CoreEngine
import Foundation
import Testing

private func bundle(_ flows: JSONValue, plugins: [JSONValue] = [], models: JSONValue = [:], limits: JSONValue? = nil) throws -> IRBundle {
    var json: [String: JSONValue] = ["ir_version": "1.0", "name": "t", "version": "1", "flows": flows, "plugins": .array(plugins), "models": models]
    if let limits { json["limits"] = limits }
    return try BundleDecoder.decode(.object(json))
}

private func flow(_ steps: [JSONValue]) -> JSONValue { ["triggers": [["type": "api"]], "steps": .array(steps)] }

@Suite struct EngineTests {
    @Test func computesAndReturns() async throws {
        let engine = Engine(bundle: try bundle(["main": flow([
            ["id": "a", "op": "set", "var": "x", "value": "{{ input.n * 2 }}"],
            ["id": "b", "op": "if", "cond": "x > 5", "then": [["id": "c", "op": "set", "var": "y", "value": "big"]],
             "else": [["id": "d", "op": "set", "var": "y", "value": "small"]]],
            ["id": "e", "op": "return", "value": ["x": "{{ x }}", "y": "{{ y }}", "run": "{{ run.id }}"]],
        ])]))
        let result = try await Driver(engine: engine).run(flow: "main", input: ["n": 4], resolutions: [], host: TestHost())
        guard case .completed(let output) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(output == ["x": 8, "y": "big", "run": "run-1"])
    }

    @Test func journalKeysNameLoopsAndCalls() async throws {
        let engine = Engine(bundle: try bundle([
            "main": flow([
                ["id": "lines", "op": "for_each", "items": "input.items", "as": "item", "steps": [
                    ["id": "enrich", "op": "call", "flow": "lookup", "input": "{{ item }}", "out": "found"],
                    ["id": "note", "op": "emit", "event": "seen", "data": "{{ found }}"],
                ]],
            ]),
            "lookup": flow([
                ["id": "from_crm", "op": "plugin", "plugin": "crm", "action": "get", "args": ["id": "{{ input }}"], "out": "r"],
                ["id": "ret", "op": "return", "value": "{{ r }}"],
            ]),
        ], plugins: ["crm"]))
        let host = TestHost(plugins: ["crm.get": ["name": "Acme"]])
        let result = try await Driver(engine: engine).run(flow: "main", input: ["items": [1, 2, 3]], resolutions: [], host: host)
        guard case .completed = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(host.journalKeys == [
            "lines[0]/enrich/from_crm", "lines[0]/note", "lines[1]/enrich/from_crm", "lines[1]/note",
            "lines[2]/enrich/from_crm", "lines[2]/note",
        ])
        #expect(host.emitted.count == 3)
    }

    @Test func checkpointSuspendsInsideALoopAndResumesFromItsSerialisedState() async throws {
        let engine = Engine(bundle: try bundle(["main": flow([
            ["id": "init", "op": "set", "var": "answers", "value": []],
            ["id": "each", "op": "for_each", "items": "input.people", "as": "who", "index": "i", "steps": [
                ["id": "ask", "op": "checkpoint", "kind": "approval", "title": "Approve {{ who }} ({{ i }})", "assignee": "user:{{ who }}", "out": "answer"],
                ["id": "keep", "op": "set", "var": "answers", "value": "{{ answers + [answer.decision] }}"],
            ]],
            ["id": "nap", "op": "sleep", "duration": "PT5M"],
            ["id": "done", "op": "return", "value": "{{ answers }}"],
        ])]))
        let host = TestHost()
        let approve: JSONValue = ["decision": "approved", "approved": true, "data": [:], "comment": nil, "by": ["u"], "timed_out": false]
        let reject: JSONValue = ["decision": "rejected", "approved": false, "data": [:], "comment": nil, "by": ["v"], "timed_out": false]
        let first = await engine.invoke(flow: "main", input: ["people": ["ann", "bob"]], context: Driver(engine: engine).context, host: host)
        guard case .suspended(.checkpoint(let request), _) = first else { Issue.record("\(first)"); return }
        #expect(request.title == "Approve ann (0)" && request.assignee == "user:ann" && request.key == "each[0]/ask")
        let result = try await Driver(engine: engine).run(
            flow: "main", input: ["people": ["ann", "bob"]], resolutions: [.checkpoint(approve), .checkpoint(reject), .timerFired], host: TestHost())
        #expect(result.suspensions == ["checkpoint", "checkpoint", "timer"])
        guard case .completed(let output) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(output == ["approved", "rejected"])
    }

    @Test func aCheckpointInsideACalledFlowInsideALoopRoundTrips() async throws {
        let engine = Engine(bundle: try bundle([
            "main": flow([
                ["id": "init", "op": "set", "var": "out", "value": []],
                ["id": "each", "op": "for_each", "items": "input", "as": "x", "steps": [
                    ["id": "sub", "op": "call", "flow": "ask", "input": ["who": "{{ x }}"], "out": "r"],
                    ["id": "add", "op": "set", "var": "out", "value": "{{ out + [r] }}"],
                ]],
                ["id": "ret", "op": "return", "value": "{{ out }}"],
            ]),
            "ask": flow([
                ["id": "q", "op": "checkpoint", "kind": "input", "title": "Tell {{ input.who }}", "assignee": "default", "out": "a"],
                ["id": "r", "op": "return", "value": "{{ input.who + ':' + a.data.answer }}"],
            ]),
        ]))
        let answer = { (text: String) -> Resolution in
            .checkpoint(["decision": "submitted", "approved": true, "data": ["answer": .string(text)], "comment": nil, "by": ["u"], "timed_out": false])
        }
        let host = TestHost()
        let result = try await Driver(engine: engine).run(flow: "main", input: ["ann", "bob"], resolutions: [answer("yes"), answer("no")], host: host)
        guard case .completed(let output) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(output == ["ann:yes", "bob:no"])
        #expect(host.journalKeys == ["each[0]/sub/q", "each[1]/sub/q"])
    }

    @Test func aTimerSuspensionNamesItsTime() async throws {
        let engine = Engine(bundle: try bundle(["main": flow([["id": "nap", "op": "sleep", "duration": "PT1H"]])]))
        let host = TestHost()
        let outcome = await engine.invoke(flow: "main", input: nil, context: Driver(engine: engine).context, host: host)
        guard case .suspended(.timer(let until, let key), _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(until == host.now().addingTimeInterval(3600) && key == "nap")
    }

    @Test func failuresNameTheStep() async throws {
        let engine = Engine(bundle: try bundle(["main": flow([
            ["id": "a", "op": "set", "var": "x", "value": "{{ input.text + 1 }}"],
        ]), "stop": flow([["id": "z", "op": "fail", "message": "no {{ input }}", "code": "refused"]])]))
        let bad = await engine.invoke(flow: "main", input: ["text": "t"], context: Driver(engine: engine).context, host: TestHost())
        guard case .failed(let error) = bad else { Issue.record("\(bad)"); return }
        #expect(error.code == "expression_error" && error.step == "flows.main.steps[0]" && error.message.contains("needs numbers"))
        let stopped = await engine.invoke(flow: "stop", input: "way", context: Driver(engine: engine).context, host: TestHost())
        guard case .failed(let failure) = stopped else { Issue.record("\(stopped)"); return }
        #expect(failure == RunError(code: "refused", message: "no way", step: "flows.stop.steps[0]"))
    }

    @Test func limitsFailTheRunClearly() async throws {
        let loop = Engine(bundle: try bundle(["main": flow([
            ["id": "l", "op": "for_each", "items": "input", "as": "x", "steps": [["id": "s", "op": "set", "var": "y", "value": 1]]],
        ])], limits: ["max_iterations": 3, "max_steps": 100]))
        let tooMany = await loop.invoke(flow: "main", input: [1, 2, 3, 4], context: Driver(engine: loop).context, host: TestHost())
        guard case .failed(let error) = tooMany else { Issue.record("\(tooMany)"); return }
        #expect(error.code == "limit_exceeded" && error.message.contains("max_iterations"))

        let steps = Engine(bundle: try bundle(["main": flow([
            ["id": "l", "op": "for_each", "items": "input", "as": "x", "steps": [["id": "s", "op": "set", "var": "y", "value": 1]]],
        ])], limits: ["max_steps": 10]))
        let long = await steps.invoke(flow: "main", input: .array(Array(repeating: 1, count: 50)), context: Driver(engine: steps).context, host: TestHost())
        guard case .failed(let stepError) = long else { Issue.record("\(long)"); return }
        #expect(stepError.code == "limit_exceeded" && stepError.message.contains("max_steps"))

        let deep = Engine(bundle: try bundle([
            "a": flow([["id": "c", "op": "call", "flow": "b"]]), "b": flow([["id": "c", "op": "call", "flow": "c"]]),
            "c": flow([["id": "r", "op": "return", "value": 1]]),
        ], limits: ["max_call_depth": 1]))
        let tooDeep = await deep.invoke(flow: "a", input: nil, context: Driver(engine: deep).context, host: TestHost())
        guard case .failed(let depthError) = tooDeep else { Issue.record("\(tooDeep)"); return }
        #expect(depthError.code == "limit_exceeded" && depthError.message.contains("max_call_depth"))

        let big = Engine(bundle: try bundle(["main": flow([
            ["id": "s", "op": "set", "var": "blob", "value": "{{ input }}"],
            ["id": "n", "op": "sleep", "duration": "PT1M"],
        ])], limits: ["max_state_bytes": 1000]))
        let huge = await big.invoke(flow: "main", input: .string(String(repeating: "x", count: 5000)), context: Driver(engine: big).context, host: TestHost())
        guard case .failed(let sizeError) = huge else { Issue.record("\(huge)"); return }
        #expect(sizeError.code == "limit_exceeded" && sizeError.message.contains("max_state_bytes"))
    }

    @Test func resumeRefusesAMismatchedResolution() async throws {
        let engine = Engine(bundle: try bundle(["main": flow([["id": "nap", "op": "sleep", "duration": "PT1H"]])]))
        let outcome = await engine.invoke(flow: "main", input: nil, context: Driver(engine: engine).context, host: TestHost())
        guard case .suspended(_, let state) = outcome else { Issue.record("\(outcome)"); return }
        let wrong = await engine.resume(state: state, resolution: .checkpoint([:]), host: TestHost())
        guard case .failed(let error) = wrong else { Issue.record("\(wrong)"); return }
        #expect(error.code == "wrong_resolution")
    }

    @Test func entityKeysComeFromTheBundle() throws {
        let json: JSONValue = [
            "ir_version": "1.0", "name": "t", "version": "1", "entities": ["customer": ["key": "input.customer_id"]],
            "flows": ["main": ["triggers": [["type": "api"]], "entity": "customer", "steps": [["id": "r", "op": "return", "value": "{{ entity.key }}"]]]],
        ]
        let engine = Engine(bundle: try BundleDecoder.decode(json))
        #expect(try engine.entityKey(flow: "main", input: ["customer_id": 42]) == "42")
        #expect(throws: RunError.self) { try engine.entityKey(flow: "main", input: [:]) }
    }
}

/// A host whose plugin and journal fail with the host's own codes.
private struct CodedFailureHost: HostEnvironment {
    struct FailingJournal: Journal {
        let failRecord: Bool
        func lookup(_ key: String) async throws -> JSONValue? { nil }
        func record(_ key: String, _ result: JSONValue) async throws {
            if failRecord { throw RunError(code: "storage_error", message: "disk full", step: nil) }
        }
    }
    let failRecord: Bool
    var journal: any Journal { FailingJournal(failRecord: failRecord) }
    func model(alias: String, declared: ModelAlias, prompt: String, system: String?) async throws -> String { prompt }
    func plugin(_ plugin: String, action: String, args: JSONValue) async throws -> JSONValue {
        throw RunError(code: "plugin_failed", message: "the plugin said no", step: nil)
    }
    func memoryGet(_ key: String) async throws -> JSONValue? { nil }
    func memoryPut(_ key: String, value: JSONValue, ttlSeconds: Int?) async throws {}
    func memoryDelete(_ key: String) async throws {}
    func emit(event: String, data: JSONValue) async throws {}
    func log(level: LogLevel, message: String, step: String) async {}
    func now() -> Date { Date(timeIntervalSince1970: 0) }
}

@Suite struct HostFailureCodeTests {
    @Test func aHostsRunErrorKeepsItsCodeAndGainsTheStepPath() async throws {
        let engine = Engine(bundle: try bundle(["main": flow([
            ["id": "pay", "op": "plugin", "plugin": "payments", "action": "pay", "args": [:], "out": "r"],
        ])], plugins: ["payments"]))
        let context = Engine.RunContext(runID: "r1", startedAt: "2026-01-01T00:00:00Z")
        guard case .failed(let error) = await engine.invoke(flow: "main", input: [:], context: context, host: CodedFailureHost(failRecord: false)) else {
            Issue.record("the run should fail")
            return
        }
        #expect(error.code == "plugin_failed" && error.step == "flows.main.steps[0]")

        let journaled = Engine(bundle: try bundle(["main": flow([["id": "note", "op": "emit", "event": "e", "data": [:]]])]))
        guard case .failed(let storage) = await journaled.invoke(flow: "main", input: [:], context: context, host: CodedFailureHost(failRecord: true)) else {
            Issue.record("the run should fail")
            return
        }
        #expect(storage.code == "storage_error" && storage.step == "flows.main.steps[0]")
    }
}
