import Appliance
import CoreEngine
import Hummingbird

/// Runs (docs/runtime.md, "Runs"): `GET /cores/{id}/runs`, `GET /runs/{id}`, `POST /runs/{id}/cancel`.
struct RunRoutes {
    let appliance: Appliance

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("cores/:id/runs", use: list)
        group.get("runs/:id", use: get)
        group.post("runs/:id/cancel", use: cancel)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.runsRead)
        let coreID = try PathID.core(context)
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "status"])
        let limit = try Pagination.limit(query["limit"], default: CoreRoutes.defaultPageSize, max: CoreRoutes.maxPageSize)
        let statuses = try StatusFilter.parse(query["status"], RunStatus.self)
        let page = try await appliance.runtime.runs.list(
            tenantID: principal.tenantID, coreID: coreID, statuses: statuses, before: try Pagination.decodeCursor(query["cursor"]), limit: limit)
        return JSONBody.response(RuntimeViews.page(page.items.map { RuntimeViews.run($0) }, next: page.nextCursor))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.runsRead)
        let id = try PathID.run(context)
        let query = try QueryParameters(request, allowed: ["wait"])
        let (run, journal): (RunRecord, [JSONValue]?)
        if let text = query["wait"] {
            guard let seconds = Int(text), (0...60).contains(seconds) else {
                throw ApplianceError(.badRequest, code: "invalid_query", "wait must be a whole number of seconds from 0 to 60")
            }
            // Long poll: answer as soon as the run finishes or suspends at a checkpoint.
            (run, journal) = try await appliance.runtime.runs.wait(tenantID: principal.tenantID, id: id, seconds: seconds, withJournal: true)
        } else {
            (run, journal) = try await appliance.runtime.runs.get(tenantID: principal.tenantID, id: id, withJournal: true)
        }
        return JSONBody.response(RuntimeViews.run(run, journal: journal ?? []))
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.runsOperate)
        let id = try PathID.run(context)
        var reader = FieldReader(try await JSONBody.read(request, limit: appliance.configuration.maxBodyBytes, empty: .object([:])))
        let reason = reader.string("reason", maxLength: 1000)
        try reader.finish()
        let run = try await appliance.runtime.runs.cancel(tenantID: principal.tenantID, id: id, context: context.action(reason: reason))
        return JSONBody.response(RuntimeViews.run(run))
    }
}
