/// The status of a Core (DESIGN §5).
public enum CoreStatus: String, Sendable, CaseIterable, Codable {
    case created, starting, running, paused, stopping, stopped, error, crashed, restarting
}

/// What a user can ask a Core to do.
public enum LifecycleAction: String, Sendable, CaseIterable {
    case start, stop, pause, resume, restart
}

/// The lifecycle state machine: the legal transitions and the route each action takes through
/// them. This is the one place that decides; services and the HTTP layer ask it.
public enum Lifecycle {
    /// Every legal transition, `from → to`.
    public static let transitions: [CoreStatus: Set<CoreStatus>] = [
        .created: [.starting],
        .starting: [.running, .error, .crashed],
        .running: [.stopping, .paused, .restarting, .error, .crashed],
        .paused: [.running, .stopping, .restarting],
        .stopping: [.stopped, .error],
        .stopped: [.starting],
        .error: [.starting, .stopping, .restarting],
        .crashed: [.restarting, .stopping],
        .restarting: [.running, .error, .crashed],
    ]

    /// Each action: the statuses a user may take it from, and the statuses it passes through,
    /// in order. Starting, stopping and restarting are transitional: the Core passes through
    /// them while the engine registry does its work. Every step is a legal transition (a test
    /// walks them all).
    public static let actions: [LifecycleAction: (from: Set<CoreStatus>, route: [CoreStatus])] = [
        .start: ([.created, .stopped, .error], [.starting, .running]),
        .stop: ([.running, .paused, .error, .crashed], [.stopping, .stopped]),
        .pause: ([.running], [.paused]),
        .resume: ([.paused], [.running]),
        .restart: ([.running, .paused, .error, .crashed], [.restarting, .running]),
    ]

    /// The statuses `action` passes through when taken from `status`; nil when it may not be taken there.
    public static func route(of action: LifecycleAction, from status: CoreStatus) -> [CoreStatus]? {
        guard let entry = actions[action], entry.from.contains(status) else { return nil }
        return entry.route
    }

    public static func isLegal(from: CoreStatus, to: CoreStatus) -> Bool {
        transitions[from]?.contains(to) ?? false
    }

    /// The actions a user may take from `status`, for 409 messages and UIs.
    public static func legalActions(from status: CoreStatus) -> [LifecycleAction] {
        LifecycleAction.allCases.filter { route(of: $0, from: status) != nil }
    }

    /// Statuses in which an engine instance is attached to the Core.
    public static let engineAttached: Set<CoreStatus> = [.running, .paused]
}
