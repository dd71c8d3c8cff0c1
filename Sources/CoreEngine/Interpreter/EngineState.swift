/// The serialised state of a suspended run: Codable, versioned, independent of Swift memory
/// layout. Blocks are addressed by step positions in the (immutable) bundle, so the state holds
/// only positions, variables and loop progress.
public struct EngineState: Codable, Sendable, Equatable {
    /// Format of this structure; ``Engine/resume(state:resolution:host:)`` refuses other formats.
    /// Format 3 added ``journalKeys``; a format-2 state (written before it) reads as
    /// ``JournalKeyScheme/unescaped``, the keys its run journaled.
    public static let currentFormat = 3

    public var format = EngineState.currentFormat
    public var stepsExecuted = 0
    /// How this run spells its journal keys: fixed when it starts, kept when it resumes.
    public var journalKeys = JournalKeyScheme.current
    var frames: [Frame] = []
    /// The effect the run is suspended on.
    var pending: Pending?

    /// One flow being run (the bottom frame is the invoked flow; `call` pushes one).
    struct Frame: Codable, Sendable, Equatable {
        var flow: String
        var variables: [String: JSONValue]
        /// Journal key prefix of steps in this frame (`lines[2]/enrich/` inside a call).
        var keyPrefix: String
        var blocks: [Block]
        /// The caller's variable that receives this frame's result.
        var resultVariable: String?
    }

    /// A block being run: its address in the flow, the next step, and loop progress for a loop body.
    struct Block: Codable, Sendable, Equatable {
        /// Pairs of (step index, branch) from the flow's top-level steps; empty for the top level.
        var address: [Int]
        var next: Int
        var loop: Loop?
    }

    struct Loop: Codable, Sendable, Equatable {
        var stepID: String
        var items: [JSONValue]
        var position: Int
        var variable: String
        var index: String?
    }

    struct Pending: Codable, Sendable, Equatable {
        enum Kind: String, Codable, Sendable { case checkpoint, timer }
        var kind: Kind
        var key: String
        var resultVariable: String?
    }
}
