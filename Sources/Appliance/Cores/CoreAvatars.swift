import Foundation
import Storage

/// A Core's avatar: an image kept in the object store at `scaicore/{tenant_id}/{core_id}/avatar`
/// (``InternalObjects``), named by the Core's `avatar_url`.
public struct CoreAvatars: Sendable {
    /// Largest avatar accepted.
    public static let maxBytes = 1 << 20

    let cores: CoreService
    let objects: InternalObjects

    public init(cores: CoreService, objects: InternalObjects) {
        self.cores = cores
        self.objects = objects
    }

    /// The URL an avatar is served at.
    public static func url(coreID: String) -> String { "/v1/modules/scaicore/cores/\(coreID)/avatar" }

    /// Stores the image (durably) and then points the Core at it; answers the changed Core.
    public func put(tenantID: String, coreID: String, bytes: [UInt8], contentType: String, context: ActionContext) async throws -> Core {
        guard InternalObjects.avatarTypes.contains(contentType) else {
            throw ApplianceError(.unsupportedMediaType, code: "unsupported_avatar_type",
                                 "an avatar is one of \(InternalObjects.avatarTypes.sorted().joined(separator: ", ")), not '\(contentType)'")
        }
        guard !bytes.isEmpty else { throw ApplianceError(.badRequest, code: "empty_avatar", "the avatar image is empty") }
        guard bytes.count <= Self.maxBytes else {
            throw ApplianceError(.payloadTooLarge, code: "avatar_too_large", "an avatar is at most \(Self.maxBytes) bytes")
        }
        guard Self.signatureMatches(contentType, bytes) else {
            throw ApplianceError(.unsupportedMediaType, code: "avatar_type_mismatch", "the body is not a \(contentType) image")
        }
        _ = try await cores.get(tenantID: tenantID, id: coreID)
        _ = try await objects.putAvatar(tenantID: tenantID, coreID: coreID, bytes: bytes, contentType: contentType)
        return try await cores.setAvatarURL(tenantID: tenantID, id: coreID, url: Self.url(coreID: coreID), context: context)
    }

    /// The image, its content type and ETag; 404 when the Core has none.
    public func get(tenantID: String, coreID: String) async throws -> (bytes: [UInt8], contentType: String, etag: String) {
        let core = try await cores.get(tenantID: tenantID, id: coreID)
        guard core.avatarURL != nil, let found = try await objects.avatar(tenantID: tenantID, coreID: coreID) else {
            throw ApplianceError(.notFound, code: "avatar_not_found", "Core '\(coreID)' has no avatar")
        }
        return (found.bytes, found.info.contentType ?? "application/octet-stream", found.info.etag)
    }

    /// Clears the Core's avatar URL, then removes the image; 404 when it has none.
    public func delete(tenantID: String, coreID: String, context: ActionContext) async throws {
        let core = try await cores.get(tenantID: tenantID, id: coreID)
        guard core.avatarURL != nil else { throw ApplianceError(.notFound, code: "avatar_not_found", "Core '\(coreID)' has no avatar") }
        _ = try await cores.setAvatarURL(tenantID: tenantID, id: coreID, url: nil, context: context)
        try await objects.deleteAvatar(tenantID: tenantID, coreID: coreID)
    }

    /// Whether the bytes start with the signature of the declared image type (so that no other
    /// content is ever served under an image type).
    static func signatureMatches(_ contentType: String, _ bytes: [UInt8]) -> Bool {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<offset + prefix.count]) == prefix
        }
        switch contentType {
        case "image/png": return starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case "image/jpeg": return starts([0xFF, 0xD8, 0xFF])
        case "image/gif": return starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8))
        case "image/webp": return starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8)
        default: return false
        }
    }

    /// Removes the image of a deleted Core (its row is gone already).
    public func removeImage(tenantID: String, coreID: String) async throws {
        try await objects.deleteAvatar(tenantID: tenantID, coreID: coreID)
    }
}
