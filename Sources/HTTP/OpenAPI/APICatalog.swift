import Appliance
import HTTPTypes

/// One documented operation of the REST API.
struct APIOperation: Sendable {
    let method: HTTPRequest.Method
    /// OpenAPI path template, e.g. `/v1/modules/scaicore/cores/{id}`.
    let path: String
    let operationID: String
    let summary: String
    let tag: String
    /// The permission the route requires; nil for unauthenticated routes.
    let permission: Permission?
    let requestSchema: String?
    let successStatus: Int
    let successSchema: String?
    let errorStatuses: [Int]
    let queryParameters: [String]
    let conditional: Bool
    /// Takes an `Idempotency-Key` header.
    let idempotent: Bool

    init(_ method: HTTPRequest.Method, _ path: String, _ operationID: String, _ summary: String, tag: String,
         permission: Permission? = nil, request: String? = nil, success: Int = 200, response: String? = nil,
         errors: [Int] = [], query: [String] = [], conditional: Bool = false, idempotent: Bool = false) {
        self.method = method
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.tag = tag
        self.permission = permission
        self.requestSchema = request
        self.successStatus = success
        self.successSchema = response
        // Statuses every operation of a kind can answer, so no operation forgets one.
        var statuses = Set(errors)
        if permission != nil { statuses.formUnion([401, 403, 503]) }
        if request != nil { statuses.formUnion([400, 413]) }
        // Anything that writes can find the data directory full (docs/operations.md).
        if method != .get { statuses.formUnion([503, 507]) }
        if conditional { statuses.formUnion([400, 412]) }
        self.errorStatuses = statuses.sorted()
        self.queryParameters = query
        self.conditional = conditional
        self.idempotent = idempotent
    }
}

/// Every route the appliance serves, described once. The OpenAPI document is built from it, the
/// 405 answers consult it, and a test fails when the router serves a route missing here.
enum APICatalog {
    static let cores = moduleAPIPrefix + "/cores"
    static let core = moduleAPIPrefix + "/cores/{id}"

    static let operations: [APIOperation] = [
        APIOperation(.get, "/healthz", "health", "Liveness: the process serves HTTP", tag: "system", response: "Status"),
        APIOperation(.get, "/readyz", "readiness", "Readiness: storage answers queries", tag: "system", response: "Status", errors: [503]),
        APIOperation(.get, "/metrics", "metrics", "Prometheus metrics (text exposition format)", tag: "system", response: "PrometheusText"),
        APIOperation(.get, "/openapi.json", "openapi", "This OpenAPI 3.1 document", tag: "system", response: "OpenAPI"),
        APIOperation(.post, cores, "createCore", "Create a Core", tag: "cores", permission: .coresWrite, request: "CoreCreate",
                     success: 201, response: "Core", errors: [400, 401, 403, 409, 413, 422]),
        APIOperation(.get, cores, "listCores", "List the tenant's Cores (cursor pagination, status filter)", tag: "cores",
                     permission: .coresRead, response: "CoreList", errors: [400, 401, 403], query: ["limit", "cursor", "status"]),
        APIOperation(.get, core, "getCore", "Read a Core with its IR (If-None-Match answers 304)", tag: "cores",
                     permission: .coresRead, response: "Core", errors: [304, 404]),
        APIOperation(.patch, core, "updateCore", "Change a Core (optimistic concurrency: If-Match or body version)", tag: "cores",
                     permission: .coresWrite, request: "CorePatch", response: "Core", errors: [400, 401, 403, 404, 409, 412, 413, 422],
                     conditional: true),
        APIOperation(.delete, core, "deleteCore", "Delete a Core and its IR history", tag: "cores", permission: .coresWrite,
                     success: 204, errors: [401, 403, 404, 412], conditional: true),
        APIOperation(.put, core + "/avatar", "putCoreAvatar", "Set the Core's avatar (the body is the image: PNG, JPEG, WebP or GIF, at most 1 MiB)",
                     tag: "cores", permission: .coresWrite, request: "AvatarImage", response: "Core", errors: [400, 401, 403, 404, 413, 415]),
        APIOperation(.get, core + "/avatar", "getCoreAvatar", "The Core's avatar image (If-None-Match answers 304)", tag: "cores",
                     permission: .coresRead, response: "AvatarImage", errors: [304, 404]),
        APIOperation(.delete, core + "/avatar", "deleteCoreAvatar", "Remove the Core's avatar", tag: "cores", permission: .coresWrite,
                     success: 204, errors: [401, 403, 404]),
        APIOperation(.get, moduleAPIPrefix + "/audit", "listAudit", "The tenant's audit log, oldest first", tag: "audit",
                     permission: .auditRead, response: "AuditList", errors: [400, 401, 403], query: ["limit", "cursor", "target_id"]),
        APIOperation(.post, core + "/events", "postEvent", "Post an event to a running or paused Core (durable before 202; Idempotency-Key)",
                     tag: "events", permission: .eventsWrite, request: "EventPost", success: 202, response: "EventAccepted",
                     errors: [400, 401, 403, 404, 409, 422, 429], idempotent: true),
        APIOperation(.get, core + "/events", "listEvents", "The Core's accepted events, newest first", tag: "events",
                     permission: .eventsRead, response: "EventList", errors: [400, 401, 403, 404], query: ["limit", "cursor"]),
        APIOperation(.post, core + "/invoke", "invokeFlow", "Invoke a flow with an api trigger; waits up to `wait` seconds (Idempotency-Key)",
                     tag: "events", permission: .eventsWrite, request: "Invocation", response: "Run",
                     errors: [202, 400, 401, 403, 404, 409, 422, 429], idempotent: true),
        APIOperation(.get, moduleAPIPrefix + "/events/stream", "eventStream", "Server-Sent Events of the tenant's accepted and emitted events",
                     tag: "events", permission: .eventsRead, response: "EventStream", errors: [400, 401, 403]),
        APIOperation(.get, core + "/runs", "listRuns", "The Core's runs, newest first (status filter)", tag: "runs", permission: .runsRead,
                     response: "RunList", errors: [400, 401, 403, 404], query: ["limit", "cursor", "status"]),
        APIOperation(.get, moduleAPIPrefix + "/runs/{id}", "getRun",
                     "A run with its journal (every effect, with timings); `wait` long-polls until it finishes or suspends", tag: "runs",
                     permission: .runsRead, response: "Run", errors: [400, 401, 403, 404], query: ["wait"]),
        APIOperation(.post, moduleAPIPrefix + "/runs/{id}/cancel", "cancelRun", "Cancel an unfinished run (and its open checkpoint)",
                     tag: "runs", permission: .runsOperate, request: "LifecycleRequest", response: "Run", errors: [400, 401, 403, 404, 409, 413]),
        APIOperation(.get, moduleAPIPrefix + "/checkpoints", "listCheckpoints", "Checkpoints of the tenant (assignee=me: the caller's queue)",
                     tag: "checkpoints", permission: .checkpointsRead, response: "CheckpointList", errors: [400, 401, 403],
                     query: ["limit", "cursor", "status", "assignee", "core_id"]),
        APIOperation(.get, moduleAPIPrefix + "/checkpoints/{id}", "getCheckpoint", "A checkpoint with its approvals", tag: "checkpoints",
                     permission: .checkpointsRead, response: "Checkpoint", errors: [401, 403, 404]),
        APIOperation(.post, moduleAPIPrefix + "/checkpoints/{id}/resolve", "resolveCheckpoint",
                     "Decide on a checkpoint (assignee or admin; approval policy applies); with `wait`, answers the resumed run (`run`) once it finishes or suspends", tag: "checkpoints",
                     permission: .checkpointsResolve, request: "Resolution", response: "Checkpoint", errors: [400, 401, 403, 404, 409, 422]),
        APIOperation(.post, moduleAPIPrefix + "/checkpoints/{id}/reassign", "reassignCheckpoint",
                     "Give a checkpoint to another assignee (assignee or admin)", tag: "checkpoints",
                     permission: .checkpointsResolve, request: "Reassignment", response: "Checkpoint", errors: [400, 401, 403, 404, 409]),
        APIOperation(.get, moduleAPIPrefix + "/me", "me", "Who the token is: tenant, user and role", tag: "identity",
                     permission: .selfRead, response: "Me", errors: [401]),
        APIOperation(.get, moduleAPIPrefix + "/notifications", "listNotifications", "The notification outbox, newest first", tag: "notifications",
                     permission: .notificationsRead, response: "NotificationList", errors: [400, 401, 403],
                     query: ["limit", "cursor", "status", "checkpoint_id"]),
    ] + LifecycleAction.allCases.map { action in
        APIOperation(.post, core + "/" + action.rawValue, "\(action.rawValue)Core", "Lifecycle: \(action.rawValue) the Core",
                     tag: "lifecycle", permission: .coresOperate, request: "LifecycleRequest", response: "Core",
                     errors: [400, 401, 403, 404, 409, 412], conditional: true)
    }

    /// The methods served on the path of `requestPath` (HEAD wherever GET is), empty when no
    /// documented path matches it.
    static func methods(forPath requestPath: String) -> [HTTPRequest.Method] {
        let segments = requestPath.split(separator: "/", omittingEmptySubsequences: true)
        let methods = operations.filter { operation in
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: true)
            return template.count == segments.count
                && zip(template, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
        }.map(\.method)
        return methods.contains(.get) ? methods + [.head] : methods
    }
}
