import Appliance
import Hummingbird
import NIOCore

/// `/v1/modules/scaicore/cores/{id}/avatar`: a Core's image (PNG, JPEG, WebP or GIF, at most
/// 1 MiB), kept in the object store.
struct AvatarRoutes {
    let appliance: Appliance

    func register(on group: RouterGroup<AppRequestContext>) {
        group.put("cores/:id/avatar", use: put)
        group.get("cores/:id/avatar", use: get)
        group.delete("cores/:id/avatar", use: delete)
    }

    @Sendable func put(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresWrite)
        let id = try PathID.core(context)
        let contentType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingOptionalWhitespace.lowercased() } ?? ""
        let limit = CoreAvatars.maxBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw Self.tooLarge() }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError { throw Self.tooLarge() }
        let core = try await appliance.avatars.put(
            tenantID: principal.tenantID, coreID: id, bytes: Array(body.readableBytesView), contentType: contentType, context: context.action())
        return CoreView.response(core)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresRead)
        let id = try PathID.core(context)
        let avatar = try await appliance.avatars.get(tenantID: principal.tenantID, coreID: id)
        let etag = "\"\(avatar.etag)\""
        if request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        return Response(
            status: .ok,
            headers: [.contentType: avatar.contentType, .eTag: etag, .cacheControl: "private, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: avatar.bytes)))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.coresWrite)
        let id = try PathID.core(context)
        try await appliance.avatars.delete(tenantID: principal.tenantID, coreID: id, context: context.action())
        return Response(status: .noContent)
    }

    private static func tooLarge() -> ApplianceError {
        ApplianceError(.payloadTooLarge, code: "avatar_too_large", "an avatar is at most \(CoreAvatars.maxBytes) bytes")
    }
}
