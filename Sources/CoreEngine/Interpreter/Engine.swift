import Foundation

/// Runs the flows of a validated ``IRBundle``: `invoke` starts a run, `resume` continues a
/// suspended one. Effects go through the ``HostEnvironment`` and its journal, so a run that is
/// re-run after a crash repeats no recorded effect (docs/ir.md, "Steps").
public struct Engine: Sendable {
    public let bundle: IRBundle
    public let expressionLimits: ExpressionLimits

    public init(bundle: IRBundle, expressionLimits: ExpressionLimits = .standard) {
        self.bundle = bundle
        self.expressionLimits = expressionLimits
    }

    /// What a run knows about itself: exposed to the program as `run`, `trigger` and `env`.
    public struct RunContext: Sendable {
        public var runID: String
        public var startedAt: String
        public var trigger: JSONValue
        public var env: [String: JSONValue]
        /// How the run spells its journal keys: ``JournalKeyScheme/current`` for a new run; a run
        /// that an earlier version started and journaled keeps the scheme it was started with.
        public var journalKeys: JournalKeyScheme

        public init(runID: String, startedAt: String, trigger: JSONValue = .object([:]), env: [String: JSONValue] = [:],
                    journalKeys: JournalKeyScheme = .current) {
            self.runID = runID
            self.startedAt = startedAt
            self.trigger = trigger
            self.env = env
            self.journalKeys = journalKeys
        }
    }

    /// The entity key of an invocation of `flow` with `input`, for entity-keyed flows (nil
    /// otherwise): the entity type's key expression evaluated on `input`, as text. A null, empty
    /// or non-scalar key refuses the invocation (`entity_key_missing`).
    public func entityKey(flow: String, input: JSONValue) throws(RunError) -> String? {
        guard let type = bundle.flows[flow]?.entity, let entity = bundle.entities[type] else { return nil }
        let key: JSONValue
        do {
            key = try ExpressionEvaluator.evaluate(entity.key, variables: ["input": input], limits: expressionLimits)
        } catch {
            throw RunError(code: "entity_key_missing", message: "cannot compute the \(type) key: \(error.description)", step: nil)
        }
        switch key {
        case .string(let text) where !text.isEmpty: return text
        case .integer, .double, .bool: return key.encodedText()
        default: throw RunError(code: "entity_key_missing", message: "the \(type) key of this input is \(key == .string("") ? "empty" : key.typeName)", step: nil)
        }
    }

    /// Starts a run of `flow`.
    public func invoke(flow: String, input: JSONValue, context: RunContext, host: any HostEnvironment) async -> Outcome {
        guard let definition = bundle.flows[flow] else {
            return .failed(RunError(code: "unknown_flow", message: "the bundle has no flow '\(flow)'", step: nil))
        }
        var variables: [String: JSONValue] = [
            "input": input, "trigger": context.trigger, "env": .object(context.env),
            "run": ["id": .string(context.runID), "flow": .string(flow), "started_at": .string(context.startedAt)],
        ]
        if let type = definition.entity {
            do {
                variables["entity"] = ["type": .string(type), "key": .string(try entityKey(flow: flow, input: input) ?? "")]
            } catch {
                return .failed(error)
            }
        }
        var state = EngineState()
        state.journalKeys = context.journalKeys
        state.frames = [EngineState.Frame(flow: flow, variables: variables, keyPrefix: "", blocks: [.init(address: [], next: 0)])]
        var run = Run(engine: self, state: state, host: host)
        return await run.execute()
    }

    /// Continues a suspended run with what it waited for.
    public func resume(state: EngineState, resolution: Resolution, host: any HostEnvironment) async -> Outcome {
        guard state.format == EngineState.currentFormat else {
            return .failed(RunError(code: "state_format", message: "engine state format \(state.format) is not \(EngineState.currentFormat)", step: nil))
        }
        guard let pending = state.pending else {
            return .failed(RunError(code: "not_suspended", message: "the state is not suspended on anything", step: nil))
        }
        let result: JSONValue
        switch (pending.kind, resolution) {
        case (.checkpoint, .checkpoint(let value)): result = value
        case (.timer, .timerFired): result = ["fired": true]
        default:
            return .failed(RunError(code: "wrong_resolution", message: "the run waits for a \(pending.kind.rawValue), not this resolution", step: pending.key))
        }
        do {
            try await host.journal.record(pending.key, result)
        } catch {
            return .failed(Run.hostFailure(error, "journal", pending.key))
        }
        var run = Run(engine: self, state: state, host: host)
        run.state.pending = nil
        if pending.kind == .checkpoint, let name = pending.resultVariable { run.setVariable(name, result) }
        return await run.execute()
    }
}
