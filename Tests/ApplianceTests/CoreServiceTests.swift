import Appliance
import CoreEngine
import Foundation
import Testing

@Suite struct CoreServiceTests {
    @Test func createsReadsChangesAndDeletes() async throws {
        let t = try await TestAppliance.make()
        let core = try await t.create("Invoice Approval")
        #expect(core.slug == "invoice-approval" && core.status == .created && core.version == 1 && core.irVersion == "1.0")
        #expect(try await t.cores.get(tenantID: t.first.tenantID, id: core.id) == core)

        let changed = try await t.cores.update(
            tenantID: t.first.tenantID, id: core.id, patch: CorePatch(name: "Renamed", ir: TestAppliance.minimalIR(description: "v2")),
            ifMatch: 1, context: t.context(t.first))
        #expect(changed.name == "Renamed" && changed.version == 2 && changed.irRevision == 2 && changed.irVersion == "1.0")

        let refused = await kind {
            _ = try await t.cores.update(tenantID: t.first.tenantID, id: core.id, patch: CorePatch(ir: ["ir_version": "1.0"]),
                                         ifMatch: nil, context: t.context(t.first))
        }
        #expect(refused == .unprocessable)
        #expect(try await t.cores.get(tenantID: t.first.tenantID, id: core.id) == changed)

        // Each IR revision is kept; a lifecycle transition adds none.
        _ = try await t.cores.perform(.start, tenantID: t.first.tenantID, id: core.id, ifMatch: nil, context: t.context(t.first))
        let revisions = try await t.appliance.store.read { db in
            try db.query("SELECT revision, ir_source FROM mod_scaicore_core_versions WHERE core_id = ? ORDER BY revision", [.text(core.id)])
        }
        #expect(try revisions.map { try $0.integer("revision") } == [1, 2])
        #expect(try revisions.map { try JSONValue.parse(Array(try $0.text("ir_source").utf8)) } == [TestAppliance.minimalIR(), TestAppliance.minimalIR(description: "v2")])

        try await t.cores.delete(tenantID: t.first.tenantID, id: core.id, ifMatch: nil, context: t.context(t.first))
        #expect(await kind { _ = try await t.cores.get(tenantID: t.first.tenantID, id: core.id) } == .notFound)
    }

    @Test func anotherTenantsCoreIsNotFoundEverywhere() async throws {
        let t = try await TestAppliance.make()
        let core = try await t.create()
        let other = t.second.tenantID
        let context = t.context(t.second)
        #expect(await kind { _ = try await t.cores.get(tenantID: other, id: core.id) } == .notFound)
        #expect(await kind {
            _ = try await t.cores.update(tenantID: other, id: core.id, patch: CorePatch(name: "x"), ifMatch: nil, context: context)
        } == .notFound)
        #expect(await kind { try await t.cores.delete(tenantID: other, id: core.id, ifMatch: nil, context: context) } == .notFound)
        for action in LifecycleAction.allCases {
            #expect(await kind { _ = try await t.cores.perform(action, tenantID: other, id: core.id, ifMatch: nil, context: context) } == .notFound)
        }
        #expect(try await t.cores.list(tenantID: other, statuses: [], after: nil, limit: 50).items.isEmpty)
        #expect(try await t.cores.get(tenantID: t.first.tenantID, id: core.id) == core)
    }

    @Test func staleVersionsAreRefused() async throws {
        let t = try await TestAppliance.make()
        let core = try await t.create()
        let tenant = t.first.tenantID
        #expect(await kind {
            _ = try await t.cores.update(tenantID: tenant, id: core.id, patch: CorePatch(name: "x"), ifMatch: 7, context: t.context(t.first))
        } == .preconditionFailed)
        #expect(await kind {
            _ = try await t.cores.update(tenantID: tenant, id: core.id, patch: CorePatch(name: "x", expectedVersion: 7), ifMatch: nil, context: t.context(t.first))
        } == .conflict)
        #expect(await kind { _ = try await t.cores.perform(.start, tenantID: tenant, id: core.id, ifMatch: 9, context: t.context(t.first)) } == .preconditionFailed)
        #expect(try await t.cores.get(tenantID: tenant, id: core.id) == core)
    }

    @Test func slugsAreUniquePerTenant() async throws {
        let t = try await TestAppliance.make()
        _ = try await t.create("Same", slug: "same")
        #expect(await kind { _ = try await t.create("Other", slug: "same") } == .conflict)
        let derived = try await t.create("Same")
        #expect(derived.slug != "same" && derived.slug.hasPrefix("same-"))
        // Another tenant may use the slug.
        #expect(try await t.create("Same", by: t.second, slug: "same").slug == "same")
    }

    @Test func oversizedIRIsRefusedAndNothingIsStored() async throws {
        let t = try await TestAppliance.make(maxIRBytes: 64)
        let big: JSONValue = ["ir_version": "1.0", "padding": .string(String(repeating: "x", count: 100))]
        #expect(await kind {
            _ = try await t.cores.create(CoreDraft(name: "Big", ir: big), tenantID: t.first.tenantID, context: t.context(t.first))
        } == .payloadTooLarge)
        #expect(try await t.cores.list(tenantID: t.first.tenantID, statuses: [], after: nil, limit: 10).items.isEmpty)
    }

    @Test func pagesCoverEveryCoreOnceInOrder() async throws {
        let t = try await TestAppliance.make()
        var ids: [String] = []
        for index in 0..<7 { ids.append(try await t.create("Core \(index)").id) }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await t.cores.list(tenantID: t.first.tenantID, statuses: [], after: cursor, limit: 3)
            #expect(page.items.count <= 3)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ids.sorted())
    }

    @Test func lifecycleActionsMoveThroughTheRegistryAndAreAudited() async throws {
        let t = try await TestAppliance.make()
        let tenant = t.first.tenantID
        let core = try await t.create()
        let running = try await t.cores.perform(.start, tenantID: tenant, id: core.id, ifMatch: 1, context: t.context(t.first, reason: "go"))
        #expect(running.status == .running && running.version == 3)
        #expect(await t.appliance.engines.instance(coreID: core.id) != nil)
        let paused = try await t.cores.perform(.pause, tenantID: tenant, id: core.id, ifMatch: nil, context: t.context(t.first))
        let pausedEngine = await t.appliance.engines.instance(coreID: core.id)
        #expect(paused.status == .paused && pausedEngine?.paused == true)
        #expect(await kind { _ = try await t.cores.perform(.start, tenantID: tenant, id: core.id, ifMatch: nil, context: t.context(t.first)) } == .conflict)
        let stopped = try await t.cores.perform(.stop, tenantID: tenant, id: core.id, ifMatch: nil, context: t.context(t.first))
        let stoppedEngine = await t.appliance.engines.instance(coreID: core.id)
        #expect(stopped.status == .stopped && stoppedEngine == nil)

        let audit = try await AuditLog.list(t.appliance.store, tenantID: tenant, targetID: core.id, after: nil, limit: 100)
        let moves = audit.filter { $0.action == "core.status" }.map { "\($0.details.objectValue?["from"]?.stringValue ?? "")→\($0.details.objectValue?["to"]?.stringValue ?? "")" }
        #expect(moves == ["created→starting", "starting→running", "running→paused", "paused→stopping", "stopping→stopped"])
        #expect(audit.first { $0.action == "core.status" }?.details.objectValue?["reason"] == "go")
        #expect(audit.allSatisfy { $0.actor == t.first.userID && $0.requestID == "req-test" })
        #expect(try await AuditLog.list(t.appliance.store, tenantID: t.second.tenantID, targetID: core.id, after: nil, limit: 100).isEmpty)
    }

    @Test func deletingALiveCoreDetachesItsEngine() async throws {
        let t = try await TestAppliance.make()
        let core = try await t.create()
        _ = try await t.cores.perform(.start, tenantID: t.first.tenantID, id: core.id, ifMatch: nil, context: t.context(t.first))
        try await t.cores.delete(tenantID: t.first.tenantID, id: core.id, ifMatch: nil, context: t.context(t.first))
        #expect(await t.appliance.engines.instance(coreID: core.id) == nil)
    }

    @Test func concurrentStartsLetExactlyOneWin() async throws {
        let t = try await TestAppliance.make()
        let core = try await t.create()
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        _ = try await t.cores.perform(.start, tenantID: t.first.tenantID, id: core.id, ifMatch: nil, context: t.context(t.first))
                        return true
                    } catch let error as ApplianceError where error.kind == .conflict {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try await t.cores.get(tenantID: t.first.tenantID, id: core.id).status == .running)
    }
}

@Suite struct BootRecoveryTests {
    /// Leaves Cores in several statuses, then reopens the same directory as a new process would.
    func prepare() async throws -> (TestAppliance, running: String, paused: String, created: String) {
        let t = try await TestAppliance.make()
        let tenant = t.first.tenantID
        let running = try await t.create("running")
        _ = try await t.cores.perform(.start, tenantID: tenant, id: running.id, ifMatch: nil, context: t.context(t.first))
        let paused = try await t.create("paused")
        _ = try await t.cores.perform(.start, tenantID: tenant, id: paused.id, ifMatch: nil, context: t.context(t.first))
        _ = try await t.cores.perform(.pause, tenantID: tenant, id: paused.id, ifMatch: nil, context: t.context(t.first))
        let created = try await t.create("created")
        return (t, running.id, paused.id, created.id)
    }

    @Test func afterACleanShutdownCoresKeepTheirStatusAndGetEnginesBack() async throws {
        let (t, running, paused, created) = try await prepare()
        try await t.appliance.start()
        await t.appliance.shutdown()
        let reopened = try TestAppliance.open(t.directory)
        try await reopened.migrate()
        try await reopened.start()
        let tenant = t.first.tenantID
        #expect(try await reopened.cores.get(tenantID: tenant, id: running).status == .running)
        #expect(try await reopened.cores.get(tenantID: tenant, id: paused).status == .paused)
        #expect(try await reopened.cores.get(tenantID: tenant, id: created).status == .created)
        #expect(await reopened.engines.instance(coreID: running) != nil)
        #expect(await reopened.engines.instance(coreID: paused)?.paused == true)
        let audit = try await AuditLog.list(reopened.store, tenantID: tenant, targetID: running, after: nil, limit: 100)
        #expect(!audit.contains { $0.actor == "system" })
        await reopened.shutdown()
    }

    @Test func afterAnUncleanStopLiveCoresGoThroughCrashedAndRestarting() async throws {
        let (t, running, paused, _) = try await prepare()
        try await t.appliance.start()  // writes the run marker; no shutdown() follows: a crash
        let reopened = try TestAppliance.open(t.directory)
        try await reopened.migrate()
        // While the first process still serves, a second one is refused.
        #expect(await kind { try await reopened.start() } == .unavailable)
        t.appliance.abandonServingLock()
        try await reopened.start()
        let tenant = t.first.tenantID
        #expect(try await reopened.cores.get(tenantID: tenant, id: running).status == .running)
        #expect(await reopened.engines.instance(coreID: running) != nil)
        #expect(try await reopened.cores.get(tenantID: tenant, id: paused).status == .paused)
        let audit = try await AuditLog.list(reopened.store, tenantID: tenant, targetID: running, after: nil, limit: 100)
        let system = audit.filter { $0.actor == "system" }.compactMap { $0.details.objectValue?["to"]?.stringValue }
        #expect(system == ["crashed", "restarting", "running"])
        await reopened.shutdown()
    }
}
