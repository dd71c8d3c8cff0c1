import Appliance
import CoreEngine
import Hummingbird
import NIOCore
import HTTPTypes

/// Event intake and invocation (docs/runtime.md, "Events", "Invoking a flow"):
/// `POST /cores/{id}/events`, `GET /cores/{id}/events`, `POST /cores/{id}/invoke`, `GET /events/stream`.
struct EventRoutes {
    let appliance: Appliance
    static let keepAliveInterval: Duration = .seconds(15)

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("cores/:id/events", use: post)
        group.get("cores/:id/events", use: list)
        group.post("cores/:id/invoke", use: invoke)
        group.get("events/stream", use: stream)
    }

    private var bodyLimit: Int { appliance.configuration.maxBodyBytes }

    @Sendable func post(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.eventsWrite)
        let coreID = try PathID.core(context)
        let key = try Self.idempotencyKey(request)
        var reader = FieldReader(try await JSONBody.read(request, limit: bodyLimit))
        let name = reader.string("event_name", required: true, maxLength: 200)
        let data = reader.value("data") ?? .object([:])
        if let name, !IRNames.isEventName(name) {
            reader.problem("event_name", IRNames.eventNameRule)
        }
        try reader.finish()
        var submission = Submission(tenantID: principal.tenantID, coreID: coreID, eventName: name ?? "", data: data, source: .api)
        submission.sender = principal.userID
        submission.idempotencyKey = key
        let acceptance = try await appliance.runtime.intake.accept(submission)
        return JSONBody.response(
            [
                "event_id": .string(acceptance.eventID), "run_id": acceptance.runIDs.first.map(JSONValue.string) ?? .null,
                "run_ids": .array(acceptance.runIDs.map(JSONValue.string)), "status": "accepted",
            ],
            status: .accepted, headers: acceptance.replayed ? [.init("Idempotency-Replayed")!: "true"] : [:])
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.eventsRead)
        let coreID = try PathID.core(context)
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try Pagination.limit(query["limit"], default: CoreRoutes.defaultPageSize, max: CoreRoutes.maxPageSize)
        let page = try await appliance.runtime.runs.events(
            tenantID: principal.tenantID, coreID: coreID, before: try Pagination.decodeCursor(query["cursor"]), limit: limit)
        return JSONBody.response(RuntimeViews.page(page.items.map(RuntimeViews.event), next: page.nextCursor))
    }

    @Sendable func invoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.eventsWrite)
        let coreID = try PathID.core(context)
        let key = try Self.idempotencyKey(request)
        var reader = FieldReader(try await JSONBody.read(request, limit: bodyLimit))
        let flow = reader.string("flow", required: true, maxLength: 200)
        let input = reader.value("input") ?? .object([:])
        let seconds = reader.waitSeconds()
        try reader.finish()
        var submission = Submission(tenantID: principal.tenantID, coreID: coreID, eventName: flow ?? "", data: input, source: .invoke)
        submission.flow = flow
        submission.sender = principal.userID
        submission.idempotencyKey = key
        let acceptance = try await appliance.runtime.intake.accept(submission)
        guard let runID = acceptance.runIDs.first else { throw ApplianceError(.internalError, code: "internal_error", "the invocation started no run") }
        let headers: HTTPFields = acceptance.replayed ? [.init("Idempotency-Replayed")!: "true"] : [:]
        let run = try await appliance.runtime.runs.wait(tenantID: principal.tenantID, id: runID, seconds: seconds)
        // 200 only when the caller waited and the run got somewhere; otherwise 202 (so a replayed
        // key without wait gets the same answer).
        if seconds == 0 || [.queued, .running, .sleeping].contains(run.status) {
            return JSONBody.response(["run_id": .string(runID), "status": "accepted"], status: .accepted, headers: headers)
        }
        return JSONBody.response(RuntimeViews.run(run), headers: headers)
    }

    /// Server-Sent Events of the caller's tenant: `accepted` and `emitted` events, live.
    @Sendable func stream(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.eventsRead)
        _ = try QueryParameters(request, allowed: [])
        let events = appliance.runtime.broadcaster.subscribe(tenantID: principal.tenantID)
        let (body, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let forward = Task {
            for await event in events {
                let kind = event.objectValue?["type"]?.stringValue ?? "accepted"
                var fields = event.objectValue ?? [:]
                fields["type"] = nil
                continuation.yield(ByteBuffer(string: "event: \(kind)\ndata: \(JSONValue.object(fields).encodedText())\n\n"))
            }
            continuation.finish()
        }
        let keepAlive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.keepAliveInterval)
                continuation.yield(ByteBuffer(string: ": keep-alive\n\n"))
            }
        }
        continuation.onTermination = { _ in
            forward.cancel()
            keepAlive.cancel()
        }
        continuation.yield(ByteBuffer(string: ": connected\n\n"))
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody(asyncSequence: body))
    }

    /// The `Idempotency-Key` header: 1–255 printable ASCII characters, or absent.
    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let field = HTTPField.Name("Idempotency-Key"), let key = request.headers[field] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw ApplianceError(.badRequest, code: "invalid_idempotency_key", "Idempotency-Key must be 1–255 printable ASCII characters")
        }
        return key
    }
}
