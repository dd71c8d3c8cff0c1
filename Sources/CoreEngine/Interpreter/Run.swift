import Foundation

/// One run of the interpreter between two suspensions: a loop over an explicit stack of frames
/// and blocks (no recursion, so depth is bounded by the bundle's limits, not the Swift stack).
struct Run {
    let engine: Engine
    var state: EngineState
    let host: any HostEnvironment

    private var bundle: IRBundle { engine.bundle }
    private var limits: BundleLimits { engine.bundle.limits }

    init(engine: Engine, state: EngineState, host: any HostEnvironment) {
        self.engine = engine
        self.state = state
        self.host = host
    }

    mutating func setVariable(_ name: String, _ value: JSONValue) {
        state.frames[state.frames.count - 1].variables[name] = value
    }

    private var variables: [String: JSONValue] { state.frames.last?.variables ?? [:] }

    mutating func execute() async -> Outcome {
        do {
            while true {
                if let outcome = try await step() { return outcome }
            }
        } catch let error as RunError {
            return .failed(error)
        } catch {
            return .failed(RunError(code: "internal", message: "\(error)", step: nil))
        }
    }

    /// Runs the next step; answers an outcome when the run ends or suspends.
    private mutating func step() async throws -> Outcome? {
        guard let frame = state.frames.last else { return .completed(.null) }
        guard let block = frame.blocks.last else { return finishFrame(.null) }
        let steps = try self.steps(frame.flow, block.address)
        if block.next >= steps.count {
            endBlock()
            return nil
        }
        let index = block.next
        state.frames[state.frames.count - 1].blocks[frame.blocks.count - 1].next += 1
        let step = steps[index]

        state.stepsExecuted += 1
        guard state.stepsExecuted <= limits.maxSteps else {
            throw RunError(code: "limit_exceeded", message: "the run executed more than \(limits.maxSteps) steps (limits.max_steps)", step: step.path)
        }
        if let when = step.when, !(try evaluate(when, step)).isTruthy { return nil }
        let key = journalKey(step.id)

        switch step.kind {
        case .set(let variable, let value):
            setVariable(variable, try render(value, step))
        case .model(let alias, let prompt, let system, let out):
            let renderedPrompt = ExpressionFunctions.displayText(try render(prompt, step))
            let renderedSystem = try system.map { ExpressionFunctions.displayText(try render($0, step)) }
            guard let declared = bundle.models[alias] else { throw RunError(code: "unknown_model", message: "no model alias '\(alias)'", step: step.path) }
            let reply = try await effect(key, step) {
                .string(try await host.model(alias: alias, declared: declared, prompt: renderedPrompt, system: renderedSystem))
            }
            if let out { setVariable(out, reply) }
        case .plugin(let plugin, let action, let args, let out):
            let renderedArgs = try args.map { try render($0, step) } ?? .object([:])
            let result = try await effect(key, step) { try await host.plugin(plugin, action: action, args: renderedArgs) }
            if let out { setVariable(out, result) }
        case .memoryGet(let keyTemplate, let out, let fallback):
            let memoryKey = try text(keyTemplate, step)
            let found = try await effect(key, step) { try await host.memoryGet(memoryKey) ?? .null }
            setVariable(out, found == .null ? try fallback.map { try render($0, step) } ?? .null : found)
        case .memoryPut(let keyTemplate, let value, let ttl):
            let memoryKey = try text(keyTemplate, step)
            let rendered = try render(value, step)
            _ = try await effect(key, step) { try await host.memoryPut(memoryKey, value: rendered, ttlSeconds: ttl); return .bool(true) }
        case .memoryDelete(let keyTemplate):
            let memoryKey = try text(keyTemplate, step)
            _ = try await effect(key, step) { try await host.memoryDelete(memoryKey); return .bool(true) }
        case .emit(let event, let data):
            let rendered = try data.map { try render($0, step) } ?? .object([:])
            _ = try await effect(key, step) { try await host.emit(event: event, data: rendered); return .bool(true) }
        case .checkpoint(let spec):
            if let recorded = try await lookup(key, step) {
                if let out = spec.out { setVariable(out, recorded) }
                return nil
            }
            let request = CheckpointRequest(
                key: key, step: step.path, stepID: step.id, kind: spec.kind, title: try text(spec.title, step),
                prompt: try spec.prompt.map { try text($0, step) }, assignee: try text(spec.assignee, step), schema: spec.schema,
                timeoutSeconds: spec.timeoutSeconds, onTimeout: spec.onTimeout, escalateTo: try spec.escalateTo.map { try text($0, step) },
                requiredApprovals: spec.requiredApprovals)
            return try suspend(.checkpoint(request), .init(kind: .checkpoint, key: key, resultVariable: spec.out), step)
        case .sleepFor(let seconds):
            if try await lookup(key, step) != nil { return nil }
            return try suspend(.timer(until: host.now().addingTimeInterval(TimeInterval(seconds)), key: key), .init(kind: .timer, key: key), step)
        case .sleepUntil(let template):
            if try await lookup(key, step) != nil { return nil }
            let when = try text(template, step)
            guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(when))
                ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(when)) else {
                throw RunError(code: "bad_time", message: "sleep until '\(when.prefix(60))': not an ISO 8601 time", step: step.path)
            }
            if date <= host.now() { return nil }
            return try suspend(.timer(until: date, key: key), .init(kind: .timer, key: key), step)
        case .if(let condition, let then, let otherwise):
            let branch = try evaluate(condition, step).isTruthy ? 0 : 1
            if !(branch == 0 ? then : otherwise).isEmpty { push(address(index, branch), loop: nil) }
        case .forEach(let items, let variable, let indexName, let body, let maxIterations):
            let list = try evaluate(items, step)
            guard case .array(let values) = list else {
                if list == .null { return nil }
                throw RunError(code: "type_error", message: "for_each items must be an array, got \(list.typeName)", step: step.path)
            }
            let cap = min(maxIterations ?? limits.maxIterations, limits.maxIterations)
            guard values.count <= cap else {
                throw RunError(code: "limit_exceeded", message: "for_each over \(values.count) items exceeds \(cap) iterations (max_iterations)", step: step.path)
            }
            guard !values.isEmpty, !body.isEmpty else { return nil }
            let loop = EngineState.Loop(stepID: step.id, items: values, position: 0, variable: variable, index: indexName)
            push(address(index, 2), loop: loop)
            bindLoop(loop)
        case .call(let flow, let input, let out):
            guard state.frames.count < limits.maxCallDepth + 1 else {
                throw RunError(code: "limit_exceeded", message: "call depth exceeds \(limits.maxCallDepth) (limits.max_call_depth)", step: step.path)
            }
            let renderedInput = try input.map { try render($0, step) } ?? .object([:])
            var callee = variables.filter { ["trigger", "run", "env", "entity"].contains($0.key) }
            callee["input"] = renderedInput
            state.frames.append(EngineState.Frame(flow: flow, variables: callee, keyPrefix: state.journalKeys.prefix(calledBy: key), blocks: [.init(address: [], next: 0)], resultVariable: out))
        case .log(let message, let level):
            await host.log(level: level, message: try text(message, step), step: step.path)
        case .return(let value):
            return finishFrame(try value.map { try render($0, step) } ?? .null)
        case .fail(let message, let code):
            throw RunError(code: code ?? "failed", message: try text(message, step), step: step.path)
        }
        return nil
    }

    // MARK: blocks and frames

    private func steps(_ flow: String, _ address: [Int]) throws -> [Step] {
        guard var steps = bundle.flows[flow]?.steps else { throw RunError(code: "unknown_flow", message: "no flow '\(flow)'", step: nil) }
        var position = 0
        while position + 1 < address.count {
            let (index, branch) = (address[position], address[position + 1])
            guard index < steps.count else { throw RunError(code: "state_mismatch", message: "the state does not fit this bundle", step: nil) }
            switch (steps[index].kind, branch) {
            case (.if(_, let then, _), 0): steps = then
            case (.if(_, _, let otherwise), 1): steps = otherwise
            case (.forEach(_, _, _, let body, _), 2): steps = body
            default: throw RunError(code: "state_mismatch", message: "the state does not fit this bundle", step: nil)
            }
            position += 2
        }
        return steps
    }

    private func address(_ index: Int, _ branch: Int) -> [Int] {
        (state.frames.last?.blocks.last?.address ?? []) + [index, branch]
    }

    private mutating func push(_ address: [Int], loop: EngineState.Loop?) {
        state.frames[state.frames.count - 1].blocks.append(.init(address: address, next: 0, loop: loop))
    }

    private mutating func bindLoop(_ loop: EngineState.Loop) {
        setVariable(loop.variable, loop.items[loop.position])
        if let index = loop.index { setVariable(index, .integer(Int64(loop.position))) }
    }

    /// The current block ran its last step: a loop body starts its next iteration, anything else is popped.
    private mutating func endBlock() {
        let f = state.frames.count - 1
        let b = state.frames[f].blocks.count - 1
        if var loop = state.frames[f].blocks[b].loop {
            loop.position += 1
            if loop.position < loop.items.count {
                state.frames[f].blocks[b].loop = loop
                state.frames[f].blocks[b].next = 0
                bindLoop(loop)
                return
            }
            state.frames[f].variables[loop.variable] = nil
            if let index = loop.index { state.frames[f].variables[index] = nil }
        }
        state.frames[f].blocks.removeLast()
    }

    /// The frame returns `result`: to its caller's variable, or as the run's result.
    private mutating func finishFrame(_ result: JSONValue) -> Outcome? {
        let finished = state.frames.removeLast()
        guard !state.frames.isEmpty else { return .completed(result) }
        if let name = finished.resultVariable { setVariable(name, result) }
        return nil
    }

    // MARK: effects

    /// The step's journal key: the frame's prefix, each enclosing loop with its iteration, the
    /// step id, spelled by the run's ``JournalKeyScheme``.
    private func journalKey(_ stepID: String) -> String {
        let scheme = state.journalKeys
        guard let frame = state.frames.last else { return scheme.segment(stepID) }
        let loops = frame.blocks.compactMap(\.loop).map { (id: $0.stepID, position: $0.position) }
        return scheme.key(prefix: frame.keyPrefix, loops: loops, step: stepID)
    }

    private func lookup(_ key: String, _ step: Step) async throws -> JSONValue? {
        do { return try await host.journal.lookup(key) } catch {
            throw Self.hostFailure(error, "journal", step.path)
        }
    }

    /// A host call's error as the run's failure: a ``RunError`` the host threw keeps its code
    /// (and gains the step's path); anything else is `host_error`.
    static func hostFailure(_ error: any Error, _ what: String, _ path: String?) -> RunError {
        if let error = error as? RunError {
            return error.step == nil ? RunError(code: error.code, message: error.message, step: path) : error
        }
        return RunError(code: "host_error", message: "\(what): \(error)", step: path)
    }

    /// Runs an effect once per journal key: a recorded result is returned without acting again.
    private func effect(_ key: String, _ step: Step, _ body: () async throws -> JSONValue) async throws -> JSONValue {
        if let recorded = try await lookup(key, step) { return recorded }
        let result: JSONValue
        do { result = try await body() } catch {
            throw Self.hostFailure(error, "\(step.kind.op) failed", step.path)
        }
        do { try await host.journal.record(key, result) } catch {
            throw Self.hostFailure(error, "journal", step.path)
        }
        return result
    }

    private mutating func suspend(_ suspension: Suspension, _ pending: EngineState.Pending, _ step: Step) throws -> Outcome {
        state.pending = pending
        let size = state.encoded().count  // the stored form, measured once per suspension
        guard size <= limits.maxStateBytes else {
            throw RunError(code: "limit_exceeded", message: "the run's state is \(size) bytes, more than \(limits.maxStateBytes) (limits.max_state_bytes)", step: step.path)
        }
        return .suspended(suspension, state)
    }

    // MARK: values

    private func evaluate(_ expression: Expression, _ step: Step) throws -> JSONValue {
        do { return try ExpressionEvaluator.evaluate(expression, variables: variables, limits: engine.expressionLimits) } catch {
            throw RunError(code: "expression_error", message: error.description, step: step.path)
        }
    }

    private func render(_ value: TemplatedValue, _ step: Step) throws -> JSONValue {
        do { return try value.render(variables: variables, limits: engine.expressionLimits) } catch {
            throw RunError(code: "expression_error", message: error.description, step: step.path)
        }
    }

    private func render(_ template: Template, _ step: Step) throws -> JSONValue {
        do { return try template.render(variables: variables, limits: engine.expressionLimits) } catch {
            throw RunError(code: "expression_error", message: error.description, step: step.path)
        }
    }

    private func text(_ template: Template, _ step: Step) throws -> String {
        ExpressionFunctions.displayText(try render(template, step))
    }
}
