import Appliance
import CoreEngine
import Hummingbird

/// `/v1/modules/scaicore/cores`: the Core registry and lifecycle actions.
struct CoreRoutes {
    let appliance: Appliance
    static let maxPageSize = 200
    static let defaultPageSize = 50

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("cores", use: create)
        group.get("cores", use: list)
        group.get("cores/:id", use: get)
        group.patch("cores/:id", use: update)
        group.delete("cores/:id", use: delete)
        for action in LifecycleAction.allCases {
            group.post("cores/:id/\(action.rawValue)") { request, context in
                try await perform(action, request: request, context: context)
            }
        }
    }

    private var cores: CoreService { appliance.cores }
    private var bodyLimit: Int { appliance.configuration.maxBodyBytes }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresWrite)
        let draft = try CoreDraft(json: try await JSONBody.read(request, limit: bodyLimit))
        let core = try await cores.create(draft, tenantID: principal.tenantID, context: context.action())
        return CoreView.response(core, status: .created, extraHeaders: [.location: "/v1/modules/scaicore/cores/\(core.id)"])
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresRead)
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "status"])
        let limit = try Pagination.limit(query["limit"], default: Self.defaultPageSize, max: Self.maxPageSize)
        let cursor = try Pagination.decodeCursor(query["cursor"])
        let statuses = try StatusFilter.parse(query["status"], CoreStatus.self)
        let page = try await cores.list(tenantID: principal.tenantID, statuses: statuses, after: cursor, limit: limit)
        return JSONBody.response(.object([
            "items": .array(page.items.map { CoreView.json($0, includeIR: false) }),
            "next_cursor": page.nextCursor.map { .string(Pagination.encodeCursor($0)) } ?? .null,
        ]))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresRead)
        let core = try await cores.get(tenantID: principal.tenantID, id: try PathID.core(context))
        if Preconditions.ifNoneMatchHits(request, version: core.version) {
            return Response(status: .notModified, headers: [.eTag: CoreView.etag(core)])
        }
        return CoreView.response(core)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresWrite)
        let id = try PathID.core(context)
        let ifMatch = try Preconditions.ifMatchVersion(request)
        let patch = try CorePatch(json: try await JSONBody.read(request, limit: bodyLimit))
        let core = try await cores.update(tenantID: principal.tenantID, id: id, patch: patch, ifMatch: ifMatch, context: context.action())
        return CoreView.response(core)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresWrite)
        let id = try PathID.core(context)
        try await cores.delete(tenantID: principal.tenantID, id: id, ifMatch: try Preconditions.ifMatchVersion(request), context: context.action())
        do {
            try await appliance.avatars.removeImage(tenantID: principal.tenantID, coreID: id)
        } catch {
            context.logger.warning("could not remove a deleted Core's avatar", metadata: ["core_id": "\(id)", "error": "\(error)"])
        }
        return Response(status: .noContent)
    }

    func perform(_ action: LifecycleAction, request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresOperate)
        let id = try PathID.core(context)
        let ifMatch = try Preconditions.ifMatchVersion(request)
        var reader = FieldReader(try await JSONBody.read(request, limit: bodyLimit, empty: .object([:])))
        let reason = reader.string("reason", maxLength: 1000)
        try reader.finish()
        let core = try await cores.perform(action, tenantID: principal.tenantID, id: id, ifMatch: ifMatch, context: context.action(reason: reason))
        return CoreView.response(core)
    }
}
