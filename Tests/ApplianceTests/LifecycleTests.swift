import Appliance
import Testing

/// The lifecycle of DESIGN §5, written out here independently of the code's table.
@Suite struct LifecycleTests {
    static let expected: Set<String> = [
        "created→starting",
        "starting→running", "starting→error", "starting→crashed",
        "running→stopping", "running→paused", "running→restarting", "running→error", "running→crashed",
        "paused→running", "paused→stopping", "paused→restarting",
        "stopping→stopped", "stopping→error",
        "stopped→starting",
        "error→starting", "error→stopping", "error→restarting",
        "crashed→restarting", "crashed→stopping",
        "restarting→running", "restarting→error", "restarting→crashed",
    ]

    static let allPairs: [(CoreStatus, CoreStatus)] = CoreStatus.allCases.flatMap { from in CoreStatus.allCases.map { (from, $0) } }

    @Test(arguments: allPairs)
    func everyPairIsLegalExactlyWhenTheDesignSaysSo(from: CoreStatus, to: CoreStatus) {
        #expect(Lifecycle.isLegal(from: from, to: to) == Self.expected.contains("\(from.rawValue)→\(to.rawValue)"))
    }

    @Test func theDesignsMainPathsExist() {
        let path: [CoreStatus] = [.created, .starting, .running, .stopping, .stopped]
        for (from, to) in zip(path, path.dropFirst()) { #expect(Lifecycle.isLegal(from: from, to: to)) }
        #expect(Lifecycle.isLegal(from: .running, to: .paused) && Lifecycle.isLegal(from: .paused, to: .running))
        #expect(Lifecycle.isLegal(from: .crashed, to: .restarting) && Lifecycle.isLegal(from: .restarting, to: .running))
    }

    static let expectedActions: [CoreStatus: Set<LifecycleAction>] = [
        .created: [.start], .starting: [], .running: [.stop, .pause, .restart], .paused: [.stop, .resume, .restart],
        .stopping: [], .stopped: [.start], .error: [.start, .stop, .restart], .crashed: [.stop, .restart], .restarting: [],
    ]

    @Test(arguments: CoreStatus.allCases)
    func legalActionsFromEachStatus(status: CoreStatus) {
        #expect(Set(Lifecycle.legalActions(from: status)) == Self.expectedActions[status])
    }

    @Test(arguments: CoreStatus.allCases)
    func everyActionRouteWalksOnlyLegalTransitions(status: CoreStatus) {
        for action in LifecycleAction.allCases {
            guard let route = Lifecycle.route(of: action, from: status) else { continue }
            var current = status
            for next in route {
                #expect(Lifecycle.isLegal(from: current, to: next), "\(action) from \(status): \(current) → \(next)")
                current = next
            }
        }
    }

    @Test func actionsEndWhereTheirNameSays() {
        #expect(Lifecycle.route(of: .start, from: .created) == [.starting, .running])
        #expect(Lifecycle.route(of: .stop, from: .paused) == [.stopping, .stopped])
        #expect(Lifecycle.route(of: .restart, from: .crashed) == [.restarting, .running])
        #expect(Lifecycle.route(of: .pause, from: .running) == [.paused])
        #expect(Lifecycle.route(of: .resume, from: .paused) == [.running])
        #expect(Lifecycle.route(of: .resume, from: .running) == nil)
    }
}
