import Appliance
import CoreEngine
import Hummingbird

/// Human checkpoints (docs/runtime.md, "Checkpoints"): the queue, one checkpoint, resolve, reassign.
struct CheckpointRoutes {
    let appliance: Appliance

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("checkpoints", use: list)
        group.get("checkpoints/:id", use: get)
        group.post("checkpoints/:id/resolve", use: resolve)
        group.post("checkpoints/:id/reassign", use: reassign)
    }

    private var checkpoints: CheckpointService { appliance.runtime.checkpoints }
    private var baseURL: String { appliance.configuration.notifyPublicBaseURL }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.checkpointsRead)
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "status", "assignee", "core_id"])
        let limit = try Pagination.limit(query["limit"], default: CoreRoutes.defaultPageSize, max: CoreRoutes.maxPageSize)
        let statuses = try StatusFilter.parse(query["status"], CheckpointStatus.self)
        var assignees: [String] = []
        switch query["assignee"] {
        case nil: break
        case "me": assignees = ["user:\(principal.userID)", "role:\(principal.role.rawValue)"]
        case let text?:
            guard Assignee(text) != nil else {
                throw ApplianceError(.badRequest, code: "invalid_query", "assignee must be me, user:<id> or role:<role>")
            }
            assignees = [text]
        }
        let page = try await checkpoints.list(
            tenantID: principal.tenantID, statuses: statuses, assignees: assignees, coreID: query["core_id"],
            before: try Pagination.decodeCursor(query["cursor"]), limit: limit)
        return JSONBody.response(RuntimeViews.page(page.items.map { RuntimeViews.checkpoint($0, baseURL: baseURL) }, next: page.nextCursor))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.checkpointsRead)
        let checkpoint = try await checkpoints.get(tenantID: principal.tenantID, id: try PathID.checkpoint(context))
        return JSONBody.response(RuntimeViews.checkpoint(checkpoint, baseURL: baseURL))
    }

    @Sendable func resolve(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.checkpointsResolve)
        let id = try PathID.checkpoint(context)
        var reader = FieldReader(try await JSONBody.read(request, limit: appliance.configuration.maxBodyBytes))
        let decision = Decision(reading: &reader)
        let seconds = reader.waitSeconds()
        try reader.finish()
        // Waiting answers the run, so it takes the right to read runs too (checked before deciding).
        if seconds > 0 { _ = try context.require(.runsRead) }
        let checkpoint = try await checkpoints.decide(tenantID: principal.tenantID, id: id, decision: decision, principal: principal,
                                                      context: context.action())
        var view = RuntimeViews.checkpoint(checkpoint, baseURL: baseURL)
        // With `wait`, a decision that resolved the checkpoint answers with the resumed run too, once
        // it has finished or suspended again (or when the wait is over). The decision is committed:
        // if the run cannot be read, the answer is still 200, without `run`.
        if seconds > 0, checkpoint.status == .resolved, case .object(var fields) = view,
           let run = try? await appliance.runtime.runs.wait(tenantID: principal.tenantID, id: checkpoint.runID, seconds: seconds) {
            fields["run"] = RuntimeViews.run(run)
            view = .object(fields)
        }
        return JSONBody.response(view)
    }

    @Sendable func reassign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.checkpointsResolve)
        let id = try PathID.checkpoint(context)
        var reader = FieldReader(try await JSONBody.read(request, limit: appliance.configuration.maxBodyBytes))
        let assignee = reader.string("assignee", required: true, maxLength: 200)
        let comment = reader.string("comment", maxLength: 4000)
        try reader.finish()
        let checkpoint = try await checkpoints.reassign(
            tenantID: principal.tenantID, id: id, to: assignee ?? "", comment: comment, principal: principal, context: context.action(reason: comment))
        return JSONBody.response(RuntimeViews.checkpoint(checkpoint, baseURL: baseURL))
    }
}
