import Foundation
import Storage
import Testing

/// The behaviour every ``GrainDirectory`` adapter must show (LMDB now; Redis for ScaiGrid).
///
/// An adapter's suite runs each of ``checks`` against a fresh, empty directory, one test case per
/// check (`@Test(arguments: GrainDirectoryConformance.checks)`) or all at once with
/// ``runAll(_:)``. Leases are tested with real time: 200 ms leases and sleeps of 300 ms.
enum GrainDirectoryConformance {
    typealias Check = ConformanceCheck<any GrainDirectory>

    static let checks: [Check] = [
        Check("register answers the caller's entry when the grain is free") { try await registerWhenFree($0) },
        Check("the first writer wins") { try await firstWriterWins($0) },
        Check("concurrent registrations have one winner") { try await concurrentRegistrationsHaveOneWinner($0) },
        Check("lookup answers the live entry") { try await lookupAnswersLiveEntry($0) },
        Check("unregister needs the owning activation") { try await unregisterNeedsOwner($0) },
        Check("renew extends the owner's lease") { try await renewExtendsOwnersLease($0) },
        Check("an expired lease frees the grain") { try await expiredLeaseFreesGrain($0) },
        Check("unregisterAll removes exactly one node's entries") { try await unregisterAllRemovesOneNode($0) },
        Check("invalid ids are refused") { try await invalidIdsAreRefused($0) },
    ]

    /// Runs every check, each against a directory from `makeDirectory`.
    static func runAll(_ makeDirectory: () async throws -> any GrainDirectory) async throws {
        for check in checks { try await check.run(makeDirectory()) }
    }

    static let grain = "tenant-a/core-1/customer/42"
    static let lease: Duration = .seconds(30)
    static let shortLease: Duration = .milliseconds(200)
    static let pastShortLease: Duration = .milliseconds(300)

    /// Whether two entries name the same activation with the same lease (to the millisecond:
    /// adapters may store coarser times than `Date`).
    static func same(_ a: GrainAddress?, _ b: GrainAddress?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.grain == b.grain && a.node == b.node && a.activation == b.activation
            && abs(a.leaseExpiresAt.timeIntervalSince(b.leaseExpiresAt)) < 0.001
    }

    static func registerWhenFree(_ directory: any GrainDirectory) async throws {
        let before = Date()
        let entry = try await directory.register(grain: grain, node: "node-a", activation: "act-1", lease: lease)
        let after = Date()
        #expect(entry.grain == grain)
        #expect(entry.node == "node-a")
        #expect(entry.activation == "act-1")
        // The lease runs from the registration.
        #expect(entry.leaseExpiresAt >= before.addingTimeInterval(29.9))
        #expect(entry.leaseExpiresAt <= after.addingTimeInterval(30.1))
        #expect(same(try await directory.lookup(grain: grain), entry))
        // Registering the same activation again keeps the entry.
        let again = try await directory.register(grain: grain, node: "node-a", activation: "act-1", lease: lease)
        #expect(again.activation == "act-1")
        #expect(again.node == "node-a")
    }

    static func firstWriterWins(_ directory: any GrainDirectory) async throws {
        let first = try await directory.register(grain: grain, node: "node-a", activation: "act-1", lease: lease)
        let byOtherNode = try await directory.register(grain: grain, node: "node-b", activation: "act-2", lease: lease)
        #expect(same(byOtherNode, first))
        // The same node re-activating (a new activation id) does not take over either.
        let byOtherActivation = try await directory.register(grain: grain, node: "node-a", activation: "act-3", lease: .seconds(300))
        #expect(same(byOtherActivation, first))
        #expect(same(try await directory.lookup(grain: grain), first))
        // Other grains are independent.
        let other = try await directory.register(grain: grain + "/x", node: "node-b", activation: "act-2", lease: lease)
        #expect(other.node == "node-b")
    }

    static func concurrentRegistrationsHaveOneWinner(_ directory: any GrainDirectory) async throws {
        let answers = try await withThrowingTaskGroup(of: GrainAddress.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await directory.register(grain: grain, node: "node-\(index)", activation: "act-\(index)", lease: lease)
                }
            }
            var answers: [GrainAddress] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.count == 20)
        let winners = Set(answers.map { "\($0.node) \($0.activation)" })
        #expect(winners.count == 1, "several winners: \(winners.sorted())")
        let stored = try await directory.lookup(grain: grain)
        let first = try #require(answers.first)
        #expect(answers.allSatisfy { same($0, first) })
        #expect(same(stored, first))
    }

    static func lookupAnswersLiveEntry(_ directory: any GrainDirectory) async throws {
        #expect(try await directory.lookup(grain: grain) == nil)
        let entry = try await directory.register(grain: grain, node: "node-a", activation: "act-1", lease: lease)
        let found = try #require(try await directory.lookup(grain: grain))
        #expect(same(found, entry))
        #expect(try await directory.lookup(grain: "tenant-a/core-1/customer/43") == nil)
        // A grain id is matched exactly, not by prefix.
        #expect(try await directory.lookup(grain: "tenant-a/core-1/customer/4") == nil)
        #expect(try await directory.lookup(grain: grain + "2") == nil)
    }

    static func unregisterNeedsOwner(_ directory: any GrainDirectory) async throws {
        let entry = try await directory.register(grain: grain, node: "node-a", activation: "act-1", lease: lease)
        let otherActivation = GrainAddress(grain: grain, node: "node-a", activation: "act-2", leaseExpiresAt: entry.leaseExpiresAt)
        let otherNode = GrainAddress(grain: grain, node: "node-b", activation: "act-1", leaseExpiresAt: entry.leaseExpiresAt)
        #expect(try await directory.unregister(otherActivation) == false)
        #expect(try await directory.unregister(otherNode) == false)
        #expect(same(try await directory.lookup(grain: grain), entry))
        #expect(try await directory.unregister(entry) == true)
        #expect(try await directory.lookup(grain: grain) == nil)
        #expect(try await directory.unregister(entry) == false)
        // The grain is free again.
        let next = try await directory.register(grain: grain, node: "node-b", activation: "act-9", lease: lease)
        #expect(next.node == "node-b")
        #expect(next.activation == "act-9")
    }

    static func renewExtendsOwnersLease(_ directory: any GrainDirectory) async throws {
        let entry = try await directory.register(grain: grain, node: "node-a", activation: "act-1", lease: .seconds(5))
        let renewed = try #require(try await directory.renew(entry, lease: .seconds(60)))
        #expect(renewed.leaseExpiresAt > entry.leaseExpiresAt)
        #expect(renewed.leaseExpiresAt > Date().addingTimeInterval(50))
        #expect(renewed.grain == grain)
        #expect(renewed.node == "node-a")
        #expect(renewed.activation == "act-1")
        #expect(same(try await directory.lookup(grain: grain), renewed))
        // Renewing with the older address value still works: ownership is the activation.
        #expect(try await directory.renew(entry, lease: .seconds(60)) != nil)
        // A non-owner cannot renew, and does not disturb the owner's entry.
        let otherActivation = GrainAddress(grain: grain, node: "node-a", activation: "act-2", leaseExpiresAt: entry.leaseExpiresAt)
        let otherNode = GrainAddress(grain: grain, node: "node-b", activation: "act-1", leaseExpiresAt: entry.leaseExpiresAt)
        #expect(try await directory.renew(otherActivation, lease: .seconds(60)) == nil)
        #expect(try await directory.renew(otherNode, lease: .seconds(60)) == nil)
        #expect(try await directory.lookup(grain: grain)?.activation == "act-1")
        // An unregistered grain cannot be renewed.
        let unknown = GrainAddress(grain: "nobody/here", node: "node-a", activation: "act-1", leaseExpiresAt: Date().addingTimeInterval(60))
        #expect(try await directory.renew(unknown, lease: .seconds(60)) == nil)
        #expect(try await directory.lookup(grain: "nobody/here") == nil)
        // The renewed lease keeps the grain: a later registration by another node loses.
        #expect(try await directory.register(grain: grain, node: "node-b", activation: "act-3", lease: lease).activation == "act-1")
    }

    static func expiredLeaseFreesGrain(_ directory: any GrainDirectory) async throws {
        // The registration and the first lookup must both fall within the 200 ms lease; a slow
        // machine gets another attempt with another grain (see ``withinWindow``).
        try await withinWindow(shortLease, retry: { try await Task.sleep(for: pastShortLease) }) { number, inTime in
            let grain = "\(grain)/attempt-\(number)"
            let entry = try await directory.register(grain: grain, node: "node-a", activation: "act-1", lease: shortLease)
            let live = try await directory.lookup(grain: grain)
            guard inTime() else { return false }
            #expect(same(live, entry))
            try await Task.sleep(for: pastShortLease)
            #expect(try await directory.lookup(grain: grain) == nil)
            #expect(try await directory.renew(entry, lease: lease) == nil)
            #expect(try await directory.lookup(grain: grain) == nil, "renewing an expired lease revived it")
            let taken = try await directory.register(grain: grain, node: "node-b", activation: "act-2", lease: lease)
            #expect(taken.node == "node-b")
            #expect(taken.activation == "act-2")
            #expect(same(try await directory.lookup(grain: grain), taken))
            // The old owner has lost the grain: it can neither renew nor remove the new entry.
            #expect(try await directory.renew(entry, lease: lease) == nil)
            #expect(try await directory.unregister(entry) == false)
            #expect(same(try await directory.lookup(grain: grain), taken))
            return true
        }
    }

    static func unregisterAllRemovesOneNode(_ directory: any GrainDirectory) async throws {
        for index in 0..<3 {
            _ = try await directory.register(grain: "a/\(index)", node: "node-a", activation: "act-a\(index)", lease: lease)
        }
        for index in 0..<2 {
            _ = try await directory.register(grain: "b/\(index)", node: "node-b", activation: "act-b\(index)", lease: lease)
        }
        // A node whose name starts like another's is another node.
        _ = try await directory.register(grain: "c/0", node: "node-a2", activation: "act-c0", lease: lease)
        #expect(try await directory.unregisterAll(node: "node-a") == 3)
        for index in 0..<3 { #expect(try await directory.lookup(grain: "a/\(index)") == nil) }
        for index in 0..<2 { #expect(try await directory.lookup(grain: "b/\(index)")?.node == "node-b") }
        #expect(try await directory.lookup(grain: "c/0")?.node == "node-a2")
        #expect(try await directory.unregisterAll(node: "node-a") == 0)
        #expect(try await directory.unregisterAll(node: "node-unknown") == 0)
        #expect(try await directory.unregisterAll(node: "node-b") == 2)
        #expect(try await directory.lookup(grain: "c/0")?.node == "node-a2")
        // The freed grains can be registered by another node.
        #expect(try await directory.register(grain: "a/0", node: "node-b", activation: "act-new", lease: lease).node == "node-b")
    }

    static func invalidIdsAreRefused(_ directory: any GrainDirectory) async throws {
        let invalid = ["", "nul\u{0}inside", String(repeating: "g", count: 401)]
        let valid = GrainAddress(grain: grain, node: "node-a", activation: "act-1", leaseExpiresAt: Date().addingTimeInterval(60))
        for bad in invalid {
            await #expect(throws: GrainDirectoryError.self) { try await directory.register(grain: bad, node: "node-a", activation: "act-1", lease: lease) }
            await #expect(throws: GrainDirectoryError.self) { try await directory.register(grain: grain, node: bad, activation: "act-1", lease: lease) }
            await #expect(throws: GrainDirectoryError.self) { try await directory.register(grain: grain, node: "node-a", activation: bad, lease: lease) }
            await #expect(throws: GrainDirectoryError.self) { try await directory.lookup(grain: bad) }
            let badGrain = GrainAddress(grain: bad, node: valid.node, activation: valid.activation, leaseExpiresAt: valid.leaseExpiresAt)
            await #expect(throws: GrainDirectoryError.self) { try await directory.unregister(badGrain) }
            await #expect(throws: GrainDirectoryError.self) { try await directory.renew(badGrain, lease: lease) }
            await #expect(throws: GrainDirectoryError.self) { try await directory.unregisterAll(node: bad) }
        }
        // Nothing was registered by the refused calls.
        #expect(try await directory.lookup(grain: grain) == nil)
        // The longest id is fine.
        let longest = String(repeating: "g", count: 400)
        #expect(try await directory.register(grain: longest, node: "node-a", activation: "act-1", lease: lease).grain == longest)
        #expect(try await directory.lookup(grain: longest)?.node == "node-a")
    }
}
