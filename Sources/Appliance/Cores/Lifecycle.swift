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

    /// The statuses an action passes through, in order, when taken from `status`; nil when the
    /// action is not legal there. Starting and stopping are transitional: the Core passes
    /// through them while the engine registry does its work.
    public static func route(of action: LifecycleAction, from status: CoreStatus) -> [CoreStatus]? {
        let route: [CoreStatus] =
            switch action {
            case .start: [.starting, .running]
            case .stop: [.stopping, .stopped]
            case .pause: [.paused]
            case .resume: [.running]
            case .restart: [.restarting, .running]
            }
        var current = status
        for next in route {
            guard isLegal(from: current, to: next) else { return nil }
            current = next
        }
        return route
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
