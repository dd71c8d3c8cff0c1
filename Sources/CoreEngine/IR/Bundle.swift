/// A decoded, validated IR bundle: the program a Core runs (docs/ir.md).
public struct IRBundle: Sendable {
    public let irVersion: IRVersion
    public let name: String
    public let version: String
    public let description: String?
    public let models: [String: ModelAlias]
    public let plugins: [String]
    public let entities: [String: EntityType]
    public let limits: BundleLimits
    public let flows: [String: Flow]
}

public struct ModelAlias: Sendable, Equatable {
    public let model: String
    public let params: JSONValue

    public init(model: String, params: JSONValue) {
        self.model = model
        self.params = params
    }
}

/// An entity type: invocations whose key expression yields the same key run one at a time.
public struct EntityType: Sendable, Equatable {
    public let key: Expression
}

/// Run limits; a bundle may lower or raise the defaults within the engine's hard caps.
public struct BundleLimits: Sendable, Equatable {
    public var maxSteps = 10_000
    public var maxIterations = 1_000
    public var maxCallDepth = 8
    public var maxStateBytes = 1 << 20

    public init() {}
}

public struct Flow: Sendable {
    public let name: String
    public let description: String?
    public let triggers: [Trigger]
    public let entity: String?
    public let steps: [Step]
}

public enum Trigger: Sendable, Equatable {
    case api
    case event(String)
    case chat
    case schedule(CronExpression)
}

/// One step: its id, its JSON path in the bundle (for errors), an optional `when` guard, and what it does.
public struct Step: Sendable {
    public let id: String
    public let path: String
    public let when: Expression?
    public let kind: StepKind
}

public enum CheckpointKind: String, Sendable, CaseIterable { case approval, input }
public enum TimeoutOutcome: String, Sendable, CaseIterable { case fail, escalate, `continue` }
public enum LogLevel: String, Sendable, CaseIterable { case debug, info, warning, error }

/// What a checkpoint step asks of a human.
public struct CheckpointSpec: Sendable {
    public let kind: CheckpointKind
    public let title: Template
    public let prompt: Template?
    public let assignee: Template
    public let schema: JSONValue?
    public let timeoutSeconds: Int?
    public let onTimeout: TimeoutOutcome
    public let escalateTo: Template?
    public let requiredApprovals: Int
    public let out: String?
}

public indirect enum StepKind: Sendable {
    case set(variable: String, value: TemplatedValue)
    case model(alias: String, prompt: Template, system: Template?, out: String?)
    case plugin(plugin: String, action: String, args: TemplatedValue?, out: String?)
    case memoryGet(key: Template, out: String, defaultValue: TemplatedValue?)
    case memoryPut(key: Template, value: TemplatedValue, ttlSeconds: Int?)
    case memoryDelete(key: Template)
    case emit(event: String, data: TemplatedValue?)
    case checkpoint(CheckpointSpec)
    case `if`(condition: Expression, then: [Step], otherwise: [Step])
    case forEach(items: Expression, variable: String, index: String?, steps: [Step], maxIterations: Int?)
    case call(flow: String, input: TemplatedValue?, out: String?)
    case sleepFor(seconds: Int)
    case sleepUntil(Template)
    case log(message: Template, level: LogLevel)
    case `return`(TemplatedValue?)
    case fail(message: Template, code: String?)

    /// The op name as written in the IR.
    public var op: String {
        switch self {
        case .set: "set"
        case .model: "model"
        case .plugin: "plugin"
        case .memoryGet: "memory.get"
        case .memoryPut: "memory.put"
        case .memoryDelete: "memory.delete"
        case .emit: "emit"
        case .checkpoint: "checkpoint"
        case .if: "if"
        case .forEach: "for_each"
        case .call: "call"
        case .sleepFor, .sleepUntil: "sleep"
        case .log: "log"
        case .return: "return"
        case .fail: "fail"
        }
    }
}

/// A JSON value whose strings may hold `{{ }}` templates, compiled once at load time.
public indirect enum TemplatedValue: Sendable {
    case constant(JSONValue)
    case template(Template)
    case array([TemplatedValue])
    case object([String: TemplatedValue])

    /// Compiles the templates inside `value`; reports bad templates at their paths.
    static func compile(_ value: JSONValue, path: String, problems: inout [IRProblem]) -> TemplatedValue {
        switch value {
        case .string(let text) where text.contains("{{"):
            do {
                return .template(try Template(text))
            } catch {
                problems.append(IRProblem(path, "bad expression: \(error.description)"))
                return .constant(value)
            }
        case .array(let items):
            let compiled = items.enumerated().map { compile($1, path: "\(path)[\($0)]", problems: &problems) }
            return compiled.allSatisfy { if case .constant = $0 { true } else { false } } ? .constant(value) : .array(compiled)
        case .object(let fields):
            var compiled: [String: TemplatedValue] = [:]
            for (key, item) in fields { compiled[key] = compile(item, path: "\(path).\(key)", problems: &problems) }
            return compiled.values.allSatisfy { if case .constant = $0 { true } else { false } } ? .constant(value) : .object(compiled)
        default:
            return .constant(value)
        }
    }

    /// Every template inside, with its path relative to this value.
    func templates(path: String) -> [(String, Template)] {
        switch self {
        case .constant: []
        case .template(let template): [(path, template)]
        case .array(let items): items.enumerated().flatMap { $1.templates(path: "\(path)[\($0)]") }
        case .object(let fields): fields.sorted { $0.key < $1.key }.flatMap { $1.templates(path: "\(path).\($0)") }
        }
    }

    /// Renders every template against `variables`.
    public func render(variables: [String: JSONValue], limits: ExpressionLimits = .standard) throws(ExpressionError) -> JSONValue {
        switch self {
        case .constant(let value): return value
        case .template(let template): return try template.render(variables: variables, limits: limits)
        case .array(let items):
            var values: [JSONValue] = []
            for item in items { values.append(try item.render(variables: variables, limits: limits)) }
            return .array(values)
        case .object(let fields):
            var values: [String: JSONValue] = [:]
            for (key, item) in fields { values[key] = try item.render(variables: variables, limits: limits) }
            return .object(values)
        }
    }
}

/// One problem found in a bundle, at a JSON path such as `flows.approve.steps[3].cond`.
public struct IRProblem: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// A bundle that cannot run, with every problem found.
public struct IRValidationError: Error, Sendable, CustomStringConvertible {
    public let problems: [IRProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
