import CoreEngine
import Foundation
import Testing

/// Journal keys are unambiguous by construction (docs/ir.md, "Effects and the journal"): step
/// ids may contain `/`, `[` and `]`, and no two positions of a run share a key.
@Suite struct JournalKeyTests {
    private func bundle(_ flows: [String: [JSONValue]]) throws -> IRBundle {
        var json: [String: JSONValue] = [:]
        for (name, steps) in flows { json[name] = ["triggers": [["type": "api"]], "steps": .array(steps)] }
        return try BundleDecoder.decode(["ir_version": "1.0", "name": "t", "version": "1", "flows": .object(json)])
    }

    private func completed(_ engine: Engine, _ host: TestHost, keys: JournalKeyScheme = .current) async throws -> JSONValue {
        let context = Engine.RunContext(runID: "run-1", startedAt: "2026-01-01T00:00:00Z", journalKeys: keys)
        guard case .completed(let output) = await engine.invoke(flow: "main", input: [:], context: context, host: host) else {
            Issue.record("the run did not complete")
            return .null
        }
        return output
    }

    /// The issue's three cases: a step spelling the key of a step inside a `call`, one spelling a
    /// key inside a `for_each` iteration, and an emit whose key a called flow's emit spells.
    private var collidingBundle: IRBundle {
        get throws {
            try bundle([
                "main": [
                    ["id": "a", "op": "call", "flow": "sub", "out": "s"],
                    ["id": "a/g", "op": "memory.get", "key": "k2", "out": "g2"],
                    ["id": "a/e", "op": "emit", "event": "from.main"],
                    ["id": "l", "op": "for_each", "items": "[1]", "as": "item", "steps": [
                        ["id": "g2", "op": "memory.get", "key": "k1", "out": "inner"],
                    ]],
                    ["id": "l[0]/g2", "op": "memory.get", "key": "k3", "out": "g3"],
                    ["id": "r", "op": "return", "value": ["s": "{{ s }}", "g2": "{{ g2 }}", "g3": "{{ g3 }}"]],
                ],
                "sub": [
                    ["id": "g", "op": "memory.get", "key": "k1", "out": "v"],
                    ["id": "e", "op": "emit", "event": "from.sub"],
                    ["id": "r", "op": "return", "value": "{{ v }}"],
                ],
            ])
        }
    }

    @Test func aStepWhoseIdSpellsANestedKeyPerformsItsOwnEffect() async throws {
        let host = TestHost(memory: ["k1": "one", "k2": "two", "k3": "three"])
        let output = try await completed(Engine(bundle: try collidingBundle), host)
        #expect(output == ["s": "one", "g2": "two", "g3": "three"])
        #expect(host.emitted.map { $0.objectValue?["event"] } == [.string("from.sub"), .string("from.main")])
        #expect(host.journalKeys == ["a/g", "a/e", "a%2Fg", "a%2Fe", "l[0]/g2", "l%5B0%5D%2Fg2"])
    }

    /// A run an earlier version started keeps its unescaped keys, collisions included: its
    /// journal holds those keys, and it must find them to resume without repeating effects.
    @Test func aRunOfTheUnescapedSchemeKeepsItsKeys() async throws {
        let host = TestHost(memory: ["k1": "one", "k2": "two", "k3": "three"])
        let output = try await completed(Engine(bundle: try collidingBundle), host, keys: .unescaped)
        #expect(output == ["s": "one", "g2": "one", "g3": "one"])
        #expect(host.journalKeys == ["a/g", "a/e", "l[0]/g2"])
    }

    @Test func idsWithoutReservedCharactersAreTheirOwnSegments() {
        for id in ["from_crm", "pay", "step-1", "ünïcode ok", "a.b:c", ""] {
            #expect(JournalKeyScheme.escaped.segment(id) == id)
        }
        #expect(JournalKeyScheme.escaped.segment("%/[]") == "%25%2F%5B%5D")
        #expect(JournalKeyScheme.escaped.key(prefix: "lines[2]/enrich/", loops: [(id: "x/y", position: 0)], step: "a[1]") == "lines[2]/enrich/x%2Fy[0]/a%5B1%5D")
    }

    // MARK: properties

    /// Random positions (frames of calls, each with enclosing loops) built from ids over an
    /// adversarial alphabet: every key decodes back to its own position, so no two share one.
    @Test func everyKeyDecodesBackToItsPosition() {
        var random = SplitMix(seed: 20261204)
        var seen: [String: [Segment]] = [:]
        for _ in 0..<20_000 {
            var position = (0..<random.int(0...4)).map { _ in
                Segment(id: random.adversarialID(), iteration: random.int(0...2) == 0 ? nil : random.int(0...12))
            }
            position.append(Segment(id: random.adversarialID(), iteration: nil))  // the step itself
            let key = Self.key(of: position)
            #expect(Self.decode(key) == position, "key \(key)")
            if let earlier = seen.updateValue(position, forKey: key) { #expect(earlier == position, "\(earlier) and \(position) share \(key)") }
        }
    }

    /// Random nested flows — `call`, `for_each`, `if` and effects — whose step ids come from the
    /// adversarial alphabet: every effect of every position is performed, each under its own key.
    @Test func randomNestedFlowsWithAdversarialIdsPerformEveryEffect() async throws {
        var random = SplitMix(seed: 1_204_2026)
        for round in 0..<150 {
            var generator = FlowGenerator(random: random)
            let flows = generator.flows()
            random = generator.random
            let engine = Engine(bundle: try bundle(flows))
            let host = TestHost()
            _ = try await completed(engine, host)
            #expect(host.performed.count == generator.effects(of: "main"), "round \(round): \(flows)")
            #expect(Set(host.journalKeys).count == host.journalKeys.count, "round \(round)")
        }
    }

    // MARK: the key's grammar, decoded (the test's own reading of docs/ir.md)

    struct Segment: Equatable, CustomStringConvertible {
        var id: String
        /// A loop's iteration; nil for a call step or the step itself.
        var iteration: Int?
        var description: String { iteration.map { "\(id)[\($0)]" } ?? id }
    }

    /// A position's key: loop segments carry their iteration; call segments and the last do not.
    static func key(of position: [Segment]) -> String {
        let scheme = JournalKeyScheme.escaped
        var prefix = ""
        var loops: [(id: String, position: Int)] = []
        for segment in position.dropLast() {
            if let iteration = segment.iteration {
                loops.append((segment.id, iteration))
            } else {
                prefix = scheme.prefix(calledBy: scheme.key(prefix: prefix, loops: loops, step: segment.id))
                loops = []
            }
        }
        return scheme.key(prefix: prefix, loops: loops, step: position.last?.id ?? "")
    }

    static func decode(_ key: String) -> [Segment] {
        key.split(separator: "/", omittingEmptySubsequences: false).map { part in
            var text = String(part)
            var iteration: Int?
            if text.hasSuffix("]"), let open = text.lastIndex(of: "["), let number = Int(text[text.index(after: open)..<text.index(before: text.endIndex)]) {
                iteration = number
                text = String(text[..<open])
            }
            return Segment(id: text.removingPercentEncoding ?? text, iteration: iteration)
        }
    }
}

/// Draws for the property tests, from the suite's deterministic generator (ExpressionTests.swift).
extension SplitMix {
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// An id of one to four pieces that spell key separators, iterations and escapes.
    mutating func adversarialID() -> String {
        let pieces = ["a", "g", "/", "[", "]", "[0]", "0", "%", "%2F", "%5B", "/g", "a/"]
        return (0..<int(1...4)).map { _ in pieces[int(0...(pieces.count - 1))] }.joined()
    }
}

/// Builds flows `main`, `f1`, `f2`, … where a flow calls only flows after it (no cycles), with
/// nested `for_each` (two items) and `if` blocks and `memory.get`/`emit` effects. Ids are
/// adversarial: often a later step's id is exactly what an earlier nested position's key would be
/// if ids were joined unescaped (`a/g` after `call a`, `l[0]/g` after a loop `l`).
struct FlowGenerator {
    var random: SplitMix
    private var built: [String: [JSONValue]] = [:]
    /// Each flow's effects, by the key they would have relative to the flow, unescaped.
    private var spelled: [String: [String]] = [:]
    private let flowCount: Int

    init(random: SplitMix) {
        var random = random
        flowCount = random.int(1...4)
        self.random = random
    }

    private func name(_ index: Int) -> String { index == 0 ? "main" : "f\(index)" }

    mutating func flows() -> [String: [JSONValue]] {
        for index in stride(from: flowCount - 1, through: 0, by: -1) {
            var ids: Set<String> = []
            var keys: [String] = []
            var steps = block(flow: index, depth: 0, ids: &ids, keys: &keys)
            steps.append(["id": .string(unique(&ids, keys: keys)), "op": "return", "value": "done"])
            built[name(index)] = steps
            spelled[name(index)] = keys
        }
        return built
    }

    /// The effects a run of `flow` performs.
    func effects(of flow: String) -> Int { spelled[flow]?.count ?? 0 }

    /// A new id of the flow: half the time the unescaped spelling of an earlier nested key.
    private mutating func unique(_ ids: inout Set<String>, keys: [String]) -> String {
        let nested = keys.filter { !ids.contains($0) && ($0.contains("/")) }
        var id = !nested.isEmpty && random.int(0...1) == 0 ? nested[random.int(0...(nested.count - 1))] : random.adversarialID()
        while !ids.insert(id).inserted { id = random.adversarialID() }
        return id
    }

    private mutating func block(flow: Int, depth: Int, ids: inout Set<String>, keys: inout [String]) -> [JSONValue] {
        var steps: [JSONValue] = []
        for _ in 0..<random.int(1...4) {
            let text = unique(&ids, keys: keys)
            let id = JSONValue.string(text)
            switch random.int(0...5) {
            case 0 where depth < 2:
                var inner: [String] = []
                steps.append(["id": id, "op": "for_each", "items": "[1, 2]", "as": "item", "steps": .array(block(flow: flow, depth: depth + 1, ids: &ids, keys: &inner))])
                keys += inner.map { "\(text)[0]/\($0)" } + inner.map { "\(text)[1]/\($0)" }
            case 1 where depth < 2:
                steps.append(["id": id, "op": "if", "cond": "true", "then": .array(block(flow: flow, depth: depth + 1, ids: &ids, keys: &keys))])
            case 2 where flow + 1 < flowCount:
                let callee = name(random.int((flow + 1)...(flowCount - 1)))
                steps.append(["id": id, "op": "call", "flow": .string(callee)])
                keys += (spelled[callee] ?? []).map { "\(text)/\($0)" }
            case 3:
                steps.append(["id": id, "op": "emit", "event": "e"])
                keys.append(text)
            default:
                steps.append(["id": id, "op": "memory.get", "key": "k", "out": "v"])
                keys.append(text)
            }
        }
        return steps
    }
}
