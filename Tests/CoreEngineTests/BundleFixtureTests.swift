import CoreEngine
import Foundation
import Testing

/// Every bundle in fixtures/bundles validates; every bundle in fixtures/invalid fails with
/// exactly the problems its `.expected` file lists (one `PATH: MESSAGE` per line).
@Suite struct BundleFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures")

    static func files(_ folder: String, _ suffix: String) -> [String] {
        let directory = fixtures.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func bytes(_ folder: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(folder).appendingPathComponent(name)))
    }

    /// IR an earlier version stored may break naming rules added since: it is refused as new IR,
    /// and still decodes as stored IR, so its Core keeps running (fixtures/upgrade/legacy-names.json).
    @Test func storedBundlesKeepTheNamesEarlierVersionsAccepted() throws {
        let bytes = try Self.bytes("upgrade", "legacy-names.json")
        #expect(throws: IRValidationError.self) { try BundleDecoder.decode(bytes) }
        let json = try JSONValue.parse(bytes)
        let bundle = try BundleDecoder.decode(json, rules: .stored)
        #expect(bundle.flows["legacy-flow"]?.triggers.contains(.event("legacy event")) == true)
        #expect(bundle.flows["legacy-flow"]?.steps.first?.id == "say\thello")
        // Every other rule still holds for stored IR.
        var broken = json.objectValue ?? [:]
        broken["flows"] = ["f": ["triggers": [["type": "api"]], "steps": [["id": "x", "op": "nope"]]]]
        #expect(throws: IRValidationError.self) { try BundleDecoder.decode(.object(broken), rules: .stored) }
    }

    @Test func thereAreEnoughFixtures() {
        #expect(Self.files("bundles", ".json").count >= 8)
        #expect(Self.files("invalid", ".json").count >= 12)
    }

    @Test(arguments: files("bundles", ".json"))
    func validBundleLoads(_ name: String) throws {
        do {
            let bundle = try BundleDecoder.decode(try Self.bytes("bundles", name))
            #expect(!bundle.flows.isEmpty)
        } catch let error as IRValidationError {
            Issue.record("\(name) should be valid:\n\(error.description)")
        }
    }

    @Test func validFixturesUseEveryStepKindAndTrigger() throws {
        var ops: Set<String> = []
        var triggers: Set<String> = []
        func collect(_ steps: [Step]) {
            for step in steps {
                ops.insert(step.kind.op)
                switch step.kind {
                case .if(_, let then, let otherwise): collect(then); collect(otherwise)
                case .forEach(_, _, _, let body, _): collect(body)
                default: break
                }
            }
        }
        for name in Self.files("bundles", ".json") {
            guard let bundle = try? BundleDecoder.decode(try Self.bytes("bundles", name)) else { continue }
            for flow in bundle.flows.values {
                collect(flow.steps)
                for trigger in flow.triggers {
                    switch trigger {
                    case .api: triggers.insert("api")
                    case .event: triggers.insert("event")
                    case .chat: triggers.insert("chat")
                    case .schedule: triggers.insert("schedule")
                    }
                }
            }
        }
        let allOps: Set<String> = ["set", "model", "plugin", "memory.get", "memory.put", "memory.delete", "emit", "checkpoint",
                                   "if", "for_each", "call", "sleep", "log", "return", "fail"]
        #expect(allOps.subtracting(ops).isEmpty, "no valid fixture uses \(allOps.subtracting(ops).sorted())")
        #expect(triggers == ["api", "event", "chat", "schedule"])
    }

    @Test(arguments: files("invalid", ".json"))
    func invalidBundleFailsWithItsExpectedProblems(_ name: String) throws {
        let expectedFile = String(name.dropLast(".json".count)) + ".expected"
        let expected = String(decoding: try Self.bytes("invalid", expectedFile), as: UTF8.self)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        do {
            _ = try BundleDecoder.decode(try Self.bytes("invalid", name))
            Issue.record("\(name) was accepted")
        } catch let error as IRValidationError {
            #expect(error.problems.map(\.description).sorted() == expected.sorted(), "\(name)")
        }
    }
}

@Suite struct IRPartsTests {
    @Test(arguments: [("PT5M", 300), ("PT24H", 86_400), ("P1DT12H", 129_600), ("P2W", 1_209_600), ("PT1H30M15S", 5_415)])
    func durations(_ text: String, _ seconds: Int) {
        #expect(ISODuration.seconds(text) == seconds)
    }

    @Test(arguments: ["", "P", "PT", "5M", "PT5", "P1M", "P1Y", "PT0S", "PT-5M", "PT5M1H", "P1DT", "PT1.5H", "P99999999D"])
    func badDurations(_ text: String) {
        #expect(ISODuration.seconds(text) == nil)
    }

    @Test func cronSchedules() throws {
        let weekdays = try CronExpression("0 7 * * 1-5")
        #expect(weekdays.matches(minute: 0, hour: 7, day: 3, month: 6, weekday: 1))
        #expect(!weekdays.matches(minute: 0, hour: 7, day: 3, month: 6, weekday: 0))
        let every = try CronExpression("*/15 * * * *")
        #expect(every.minutes == [0, 15, 30, 45])
        let sunday = try CronExpression("0 0 * * 7")
        #expect(sunday.daysOfWeek == [0])
        // Both day fields restricted: either matches (cron's rule).
        let either = try CronExpression("0 0 1 * 1")
        #expect(either.matches(minute: 0, hour: 0, day: 1, month: 2, weekday: 4))
        #expect(either.matches(minute: 0, hour: 0, day: 9, month: 2, weekday: 1))
        for bad in ["* * * *", "61 * * * *", "* 24 * * *", "* * 0 * *", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * * * * *"] {
            #expect(throws: CronExpression.ParseError.self, "\(bad)") { try CronExpression(bad) }
        }
    }

    @Test func versions() {
        #expect(IRVersion("1.0")?.isReadable == true)
        #expect(IRVersion("1.0.7")?.isReadable == true)
        #expect(IRVersion("1.1")?.isReadable == false)
        #expect(IRVersion("2.0")?.isReadable == false)
        #expect(IRVersion("0.9")?.isReadable == false)
        #expect(IRVersion("1") == nil && IRVersion("1.x") == nil && IRVersion("") == nil)
    }

    @Test func problemsAreAllReportedTogetherWithPaths() {
        let json: JSONValue = [
            "ir_version": "1.0", "name": "n", "version": "1", "extra": true,
            "flows": ["main": ["triggers": [["type": "api"]], "steps": [
                ["id": "a", "op": "set", "var": "x", "value": "{{ nope }}"],
                ["id": "a", "op": "teleport"],
                ["id": "c", "op": "if", "cond": "x >", "then": [["id": "d", "op": "log", "message": "{{ x }}", "colour": "red"]]],
            ]]],
        ]
        #expect {
            _ = try BundleDecoder.decode(json)
        } throws: { error in
            guard let error = error as? IRValidationError else { return false }
            let found = Set(error.problems.map(\.description))
            return found.isSuperset(of: [
                "extra: unknown field 'extra'",
                "flows.main.steps[0].value: undefined variable 'nope'",
                "flows.main.steps[1].op: unknown op 'teleport'",
                "flows.main.steps[2].then[0].colour: unknown field 'colour'",
            ]) && found.contains { $0.hasPrefix("flows.main.steps[2].cond: bad expression: expected a value") }
        }
    }

    @Test func typeErrorsThatDoNotDependOnVariablesAreFoundBeforeRunning() {
        let json: JSONValue = [
            "ir_version": "1.0", "name": "n", "version": "1",
            "flows": ["main": ["triggers": [["type": "api"]], "steps": [
                ["id": "a", "op": "set", "var": "x", "value": "{{ input.n + ('a' - 1) }}"],
                ["id": "b", "op": "if", "cond": "len(input, 2) > 1 / 0", "then": [["id": "c", "op": "return", "value": "{{ upper(3) }}"]]],
                ["id": "d", "op": "return", "value": "{{ input.n + 1 }}"],
            ]]],
        ]
        #expect {
            _ = try BundleDecoder.decode(json)
        } throws: { error in
            guard let error = error as? IRValidationError else { return false }
            return Set(error.problems.map(\.description)) == [
                "flows.main.steps[0].value: bad expression: '-' needs numbers, got string and number",
                "flows.main.steps[1].cond: bad expression: len takes 1 arguments, got 2",
                "flows.main.steps[1].cond: bad expression: division by zero",
                "flows.main.steps[1].then[0].value: bad expression: upper: argument 1 must be a string, got number",
            ]
        }
    }

    @Test func aBundleThatIsNotJSONIsOneProblem() {
        #expect(throws: IRValidationError.self) { try BundleDecoder.decode(Array("{".utf8)) }
    }
}
