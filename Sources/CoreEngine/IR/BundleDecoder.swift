/// Turns JSON into a ``IRBundle``, or into the complete list of problems that keep it from running.
///
/// The decoder reads the structure (fields, types, ops, expressions, templates, durations, cron
/// schedules) and ``BundleChecks`` then checks what needs the whole bundle (variables in scope,
/// model aliases, plugins, flows called and call cycles, duplicate step ids).
public enum BundleDecoder {
    /// Parses and validates bundle JSON text.
    public static func decode(_ bytes: some Collection<UInt8>) throws(IRValidationError) -> IRBundle {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw IRValidationError(problems: [IRProblem("$", error.description)]) }
        return try decode(json)
    }

    /// How strictly names are judged.
    public enum Rules: Sendable {
        /// Every rule of docs/ir.md: what a bundle must meet to be stored.
        case strict
        /// The naming rules of "Names and limits" (flow names, event names, step ids, the
        /// program's name and version) are not applied: for a bundle stored by an earlier version,
        /// which held them less strictly, so that its Core keeps running after an upgrade.
        case stored
    }

    /// Validates a bundle given as a JSON value.
    public static func decode(_ json: JSONValue, rules: Rules = .strict) throws(IRValidationError) -> IRBundle {
        var reader = Reader(strictNames: rules == .strict)
        let bundle = reader.bundle(json)
        if let bundle { BundleChecks.check(bundle, problems: &reader.problems) }
        guard let bundle, reader.problems.isEmpty else {
            throw IRValidationError(problems: reader.problems.isEmpty ? [IRProblem("$", "not a bundle")] : reader.problems)
        }
        return bundle
    }
}

private struct Reader {
    var problems: [IRProblem] = []
    /// False for stored bundles (``BundleDecoder/Rules/stored``).
    let strictNames: Bool

    mutating func bundle(_ json: JSONValue) -> IRBundle? {
        guard var object = IRObject(json, path: "", problems: &problems) else { return nil }
        var version: IRVersion?
        if let text = object.string("ir_version", required: true, &problems) {
            if let parsed = IRVersion(text), parsed.isReadable {
                version = parsed
            } else {
                problems.append(IRProblem("ir_version", "unsupported ir_version '\(text)': this engine reads \(IRVersion.engine.major).x up to \(IRVersion.engine)"))
            }
        }
        let name = object.string("name", required: true, &problems)
        if strictNames, let name, !IRNames.isText(name) {
            problems.append(IRProblem("name", "bad program name: use 1–\(IRNames.maxTextLength) characters without control characters"))
        }
        let bundleVersion = object.string("version", required: true, &problems)
        if strictNames, let bundleVersion, !IRNames.isText(bundleVersion) {
            problems.append(IRProblem("version", "bad version: use 1–\(IRNames.maxTextLength) characters without control characters"))
        }
        let description = object.string("description", &problems)

        var models: [String: ModelAlias] = [:]
        for (alias, value) in (object.object("models", &problems) ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard var model = IRObject(value, path: "models.\(alias)", problems: &problems) else { continue }
            let id = model.string("model", required: true, &problems)
            let params = model.object("params", &problems)
            model.finish(&problems)
            if let id { models[alias] = ModelAlias(model: id, params: .object(params ?? [:])) }
        }

        var plugins: [String] = []
        for (index, value) in (object.array("plugins", &problems) ?? []).enumerated() {
            if case .string(let plugin) = value { plugins.append(plugin) } else {
                problems.append(IRProblem("plugins[\(index)]", "expected string, got \(value.typeName)"))
            }
        }

        var entities: [String: EntityType] = [:]
        for (type, value) in (object.object("entities", &problems) ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard var entity = IRObject(value, path: "entities.\(type)", problems: &problems) else { continue }
            let key = expression(&entity, "key", required: true)
            entity.finish(&problems)
            if let key { entities[type] = EntityType(key: key) }
        }

        var limits = BundleLimits()
        if let raw = object.value("limits", &problems), var limitsObject = IRObject(raw, path: "limits", problems: &problems) {
            if let value = limitsObject.integer("max_steps", &problems) { limits.maxSteps = min(value, 1_000_000) }
            if let value = limitsObject.integer("max_iterations", &problems) { limits.maxIterations = min(value, 100_000) }
            if let value = limitsObject.integer("max_call_depth", &problems) { limits.maxCallDepth = min(value, 64) }
            if let value = limitsObject.integer("max_state_bytes", &problems) { limits.maxStateBytes = min(value, 64 << 20) }
            limitsObject.finish(&problems)
        }

        var flows: [String: Flow] = [:]
        if let rawFlows = object.object("flows", required: true, &problems) {
            if rawFlows.isEmpty { problems.append(IRProblem("flows", "a bundle needs at least one flow")) }
            for (flowName, value) in rawFlows.sorted(by: { $0.key < $1.key }) {
                guard IRNames.isName(flowName) || !strictNames else {
                    // Reported at a path that shows at most 40 characters of the name.
                    let shown = IRNames.shown(flowName)
                    problems.append(IRProblem("flows.\(shown)", "bad flow name '\(shown)': use letters, digits and _, at most \(IRNames.maxNameLength), not starting with a digit"))
                    continue
                }
                if let flow = flow(flowName, value) { flows[flowName] = flow }
            }
        }
        object.finish(&problems)
        // Even when the header is unreadable (problems are recorded then, so the bundle is
        // refused), the flows are returned so that the whole-bundle checks report their problems too.
        return IRBundle(irVersion: version ?? .engine, name: name ?? "", version: bundleVersion ?? "", description: description,
                      models: models, plugins: plugins, entities: entities, limits: limits, flows: flows)
    }

    mutating func flow(_ name: String, _ value: JSONValue) -> Flow? {
        let path = "flows.\(name)"
        guard var object = IRObject(value, path: path, problems: &problems) else { return nil }
        let description = object.string("description", &problems)
        let entity = object.string("entity", &problems)
        var triggers: [Trigger] = []
        if let rawTriggers = object.array("triggers", required: true, &problems) {
            if rawTriggers.isEmpty { problems.append(IRProblem("\(path).triggers", "a flow needs at least one trigger")) }
            for (index, raw) in rawTriggers.enumerated() {
                if let trigger = trigger(raw, path: "\(path).triggers[\(index)]") { triggers.append(trigger) }
            }
        }
        var steps: [Step] = []
        if let rawSteps = object.array("steps", required: true, &problems) {
            steps = block(rawSteps, path: "\(path).steps")
        }
        object.finish(&problems)
        return Flow(name: name, description: description, triggers: triggers, entity: entity, steps: steps)
    }

    mutating func trigger(_ value: JSONValue, path: String) -> Trigger? {
        guard var object = IRObject(value, path: path, problems: &problems) else { return nil }
        defer { object.finish(&problems) }
        guard let type = object.string("type", required: true, &problems) else { object.acceptAll(); return nil }
        switch type {
        case "api": return .api
        case "chat": return .chat
        case "event":
            guard let event = eventName(&object, "event") else { return nil }
            return .event(event)
        case "schedule":
            guard let cron = object.string("cron", required: true, &problems) else { return nil }
            do { return .schedule(try CronExpression(cron)) } catch {
                problems.append(IRProblem("\(path).cron", "bad cron expression '\(cron)': \(error.description)"))
                return nil
            }
        default:
            object.acceptAll()
            problems.append(IRProblem("\(path).type", "unknown trigger type '\(type)'"))
            return nil
        }
    }

    /// A list of steps; answers an empty list (with a problem) when a block must not be empty.
    mutating func block(_ values: [JSONValue], path: String, required: Bool = true) -> [Step] {
        if values.isEmpty, required { problems.append(IRProblem(path, "a block needs at least one step")) }
        return values.enumerated().compactMap { step($1, path: "\(path)[\($0)]") }
    }

    mutating func steps(_ object: inout IRObject, _ key: String, required: Bool) -> [Step] {
        guard let values = object.array(key, required: required, &problems) else { return [] }
        return block(values, path: object.child(key), required: required)
    }

    mutating func step(_ value: JSONValue, path: String) -> Step? {
        guard var o = IRObject(value, path: path, problems: &problems) else { return nil }
        var id = o.string("id", required: true, &problems)
        if strictNames, let text = id, !IRNames.isText(text) {
            problems.append(IRProblem(o.child("id"), "bad step id '\(IRNames.shown(text))': use 1–\(IRNames.maxTextLength) characters without control characters"))
            id = nil
        }
        let when = expression(&o, "when")
        guard let op = o.string("op", required: true, &problems) else {
            o.acceptAll()
            return nil
        }
        let kind: StepKind?
        switch op {
        case "set":
            let variable = name(&o, "var", required: true)
            let value = templated(&o, "value", required: true)
            kind = variable.flatMap { v in value.map { .set(variable: v, value: $0) } }
        case "model":
            let alias = o.string("model", required: true, &problems)
            let prompt = template(&o, "prompt", required: true)
            let system = template(&o, "system")
            let out = name(&o, "out")
            kind = alias.flatMap { a in prompt.map { .model(alias: a, prompt: $0, system: system, out: out) } }
        case "plugin":
            let plugin = o.string("plugin", required: true, &problems)
            let action = o.string("action", required: true, &problems)
            let args = templated(&o, "args")
            let out = name(&o, "out")
            kind = plugin.flatMap { p in action.map { .plugin(plugin: p, action: $0, args: args, out: out) } }
        case "memory.get":
            let key = template(&o, "key", required: true)
            let out = name(&o, "out", required: true)
            let fallback = templated(&o, "default")
            kind = key.flatMap { k in out.map { .memoryGet(key: k, out: $0, defaultValue: fallback) } }
        case "memory.put":
            let key = template(&o, "key", required: true)
            let value = templated(&o, "value", required: true)
            let ttl = duration(&o, "ttl")
            kind = key.flatMap { k in value.map { .memoryPut(key: k, value: $0, ttlSeconds: ttl) } }
        case "memory.delete":
            kind = template(&o, "key", required: true).map { .memoryDelete(key: $0) }
        case "emit":
            let event = eventName(&o, "event")
            let data = templated(&o, "data")
            kind = event.map { .emit(event: $0, data: data) }
        case "checkpoint":
            kind = checkpoint(&o).map { .checkpoint($0) }
        case "if":
            let condition = expression(&o, "cond", required: true)
            let then = steps(&o, "then", required: true)
            let otherwise = steps(&o, "else", required: false)
            kind = condition.map { .if(condition: $0, then: then, otherwise: otherwise) }
        case "for_each":
            let items = expression(&o, "items", required: true)
            let variable = name(&o, "as", required: true)
            let index = name(&o, "index")
            let body = steps(&o, "steps", required: true)
            let maxIterations = o.integer("max_iterations", &problems)
            kind = items.flatMap { i in variable.map { .forEach(items: i, variable: $0, index: index, steps: body, maxIterations: maxIterations) } }
        case "call":
            let flow = o.string("flow", required: true, &problems)
            let input = templated(&o, "input")
            let out = name(&o, "out")
            kind = flow.map { .call(flow: $0, input: input, out: out) }
        case "sleep":
            let hasDuration = o.value("duration", &problems) != nil
            let hasUntil = o.value("until", &problems) != nil
            if hasDuration == hasUntil {
                problems.append(IRProblem(path, "sleep needs exactly one of 'duration' and 'until'"))
                kind = nil
            } else if hasDuration {
                kind = duration(&o, "duration").map { .sleepFor(seconds: $0) }
            } else {
                kind = template(&o, "until").map { .sleepUntil($0) }
            }
        case "log":
            let message = template(&o, "message", required: true)
            let level = o.choice("level", LogLevel.self, &problems) ?? .info
            kind = message.map { .log(message: $0, level: level) }
        case "return":
            kind = .return(templated(&o, "value"))
        case "fail":
            let message = template(&o, "message", required: true)
            let code = o.string("code", &problems)
            kind = message.map { .fail(message: $0, code: code) }
        default:
            problems.append(IRProblem(o.child("op"), "unknown op '\(op)'"))
            o.acceptAll()
            kind = nil
        }
        o.finish(&problems)
        guard let id, let kind else { return nil }
        return Step(id: id, path: path, when: when, kind: kind)
    }

    mutating func checkpoint(_ o: inout IRObject) -> CheckpointSpec? {
        let kind = o.value("kind", required: true, &problems) != nil ? o.choice("kind", CheckpointKind.self, &problems) : nil
        let title = template(&o, "title", required: true)
        let prompt = template(&o, "prompt")
        let assignee = template(&o, "assignee", required: true)
        let schema = o.object("schema", &problems).map(JSONValue.object)
        let timeout = duration(&o, "timeout")
        let onTimeout = o.choice("on_timeout", TimeoutOutcome.self, &problems) ?? .fail
        let escalateTo = template(&o, "escalate_to")
        let required = o.integer("required_approvals", &problems) ?? 1
        let out = name(&o, "out")
        if onTimeout == .escalate, escalateTo == nil {
            problems.append(IRProblem(o.child("on_timeout"), "on_timeout 'escalate' needs escalate_to"))
        }
        guard let kind, let title, let assignee else { return nil }
        return CheckpointSpec(kind: kind, title: title, prompt: prompt, assignee: assignee, schema: schema, timeoutSeconds: timeout,
                              onTimeout: onTimeout, escalateTo: escalateTo, requiredApprovals: required, out: out)
    }

    // MARK: typed fields

    mutating func expression(_ o: inout IRObject, _ key: String, required: Bool = false) -> Expression? {
        guard let text = o.string(key, required: required, &problems) else { return nil }
        do { return try ExpressionParser.parse(text) } catch {
            problems.append(IRProblem(o.child(key), "bad expression: \(error.description)"))
            return nil
        }
    }

    mutating func template(_ o: inout IRObject, _ key: String, required: Bool = false) -> Template? {
        guard let text = o.string(key, required: required, &problems) else { return nil }
        do { return try Template(text) } catch {
            problems.append(IRProblem(o.child(key), "bad expression: \(error.description)"))
            return nil
        }
    }

    mutating func templated(_ o: inout IRObject, _ key: String, required: Bool = false) -> TemplatedValue? {
        guard let value = o.value(key, required: required, &problems) else { return nil }
        return TemplatedValue.compile(value, path: o.child(key), problems: &problems)
    }

    mutating func duration(_ o: inout IRObject, _ key: String) -> Int? {
        guard let text = o.string(key, &problems) else { return nil }
        guard let seconds = ISODuration.seconds(text) else {
            problems.append(IRProblem(o.child(key), "bad duration '\(text)': use ISO 8601 such as PT5M"))
            return nil
        }
        return seconds
    }

    /// A variable name: letters, digits and `_`, not starting with a digit.
    mutating func name(_ o: inout IRObject, _ key: String, required: Bool = false) -> String? {
        guard let text = o.string(key, required: required, &problems) else { return nil }
        guard IRNames.isName(text) else {
            problems.append(IRProblem(o.child(key), "bad variable name '\(IRNames.shown(text))': use letters, digits and _"))
            return nil
        }
        return text
    }

    /// An event name (a trigger's or an emit's): `A–Z a–z 0–9 . _ : -`, 1–200 characters.
    mutating func eventName(_ o: inout IRObject, _ key: String) -> String? {
        guard let text = o.string(key, required: true, &problems) else { return nil }
        guard IRNames.isEventName(text) || !strictNames else {
            problems.append(IRProblem(o.child(key), "bad event name '\(IRNames.shown(text))': \(IRNames.eventNameRule)"))
            return nil
        }
        return text
    }
}
