import Foundation

/// How a run ended, or why it paused.
public enum Outcome: Sendable {
    case completed(JSONValue)
    case suspended(Suspension, EngineState)
    case failed(RunError)
}

/// Why a run paused. The host persists the state and calls ``Engine/resume(state:resolution:host:)`` later.
public enum Suspension: Sendable, Equatable {
    case checkpoint(CheckpointRequest)
    case timer(until: Date, key: String)
}

/// What a suspended run is waiting for, with every template rendered.
public struct CheckpointRequest: Sendable, Equatable, Codable {
    /// The checkpoint step's journal key.
    public let key: String
    /// The step's path in the bundle (`flows.on_invoice.steps[1].then[0]`).
    public let step: String
    /// The step's id.
    public let stepID: String
    public let kind: CheckpointKind
    public let title: String
    public let prompt: String?
    public let assignee: String
    public let schema: JSONValue?
    public let timeoutSeconds: Int?
    public let onTimeout: TimeoutOutcome
    public let escalateTo: String?
    public let requiredApprovals: Int
}

/// What ends a suspension.
public enum Resolution: Sendable, Equatable {
    /// A checkpoint's resolution object (`{decision, approved, data, comment, by, timed_out}`).
    case checkpoint(JSONValue)
    /// The timer of a `sleep` fired.
    case timerFired
}

/// Why a run failed: a code, a message and the path of the step.
public struct RunError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let step: String?

    public init(code: String, message: String, step: String?) {
        self.code = code
        self.message = message
        self.step = step
    }

    public var description: String { "\(code): \(message)\(step.map { " (at \($0))" } ?? "")" }
}

extension CheckpointKind: Codable {}
extension TimeoutOutcome: Codable {}
