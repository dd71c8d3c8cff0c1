import Crypto
import Foundation

/// Seals secrets that must be read back (S3 secret keys) with the data directory's master key:
/// AES-256-GCM, a fresh nonce per secret, stored as base64 of nonce ‖ ciphertext ‖ tag. The key
/// is 32 random bytes in `<data_dir>/keys/master.key` (mode 0600, directory 0700), made on first
/// use. A copied database without that file reveals no secret.
public struct SecretSealer: Sendable {
    private let key: SymmetricKey

    /// Loads the master key from `directory`, creating it when absent.
    public init(directory: String) throws {
        let path = directory + "/master.key"
        let files = FileManager.default
        if let existing = files.contents(atPath: path) {
            guard existing.count == 32 else {
                throw ApplianceError(.unavailable, code: "master_key_invalid", "\(path) is not a 32-byte key; restore it from a backup (secrets sealed with it cannot be read otherwise)")
            }
            key = SymmetricKey(data: existing)
            return
        }
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fresh = SymmetricKey(size: .bits256)
        let bytes = fresh.withUnsafeBytes { [UInt8]($0) }
        // Written to a temporary name (0600 from the start), flushed, then linked into place and
        // the directory flushed: after a power loss the key is whole or absent, never empty. A
        // concurrent first start by another process either wins (its key is used) or loses the
        // link and reads the winner's.
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ApplianceError(.unavailable, code: "data_dir_unusable", "cannot write \(temporary)") }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        defer { unlink(temporary) }
        guard written == bytes.count, synced else { throw ApplianceError(.unavailable, code: "data_dir_unusable", "cannot write \(temporary)") }
        if link(temporary, path) != 0 {
            guard errno == EEXIST, let winner = files.contents(atPath: path), winner.count == 32 else {
                throw ApplianceError(.unavailable, code: "data_dir_unusable", "cannot create \(path)")
            }
            key = SymmetricKey(data: winner)
            return
        }
        let directoryDescriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        key = fresh
    }

    /// The sealed form of `secret`.
    public func seal(_ secret: String) throws -> String {
        let box = try AES.GCM.seal(Data(secret.utf8), using: key)
        guard let combined = box.combined else { throw ApplianceError(.internalError, code: "seal_failed", "could not seal a secret") }
        return combined.base64EncodedString()
    }

    /// The secret sealed in `sealed`; throws when it was sealed with another key or altered.
    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw ApplianceError(.internalError, code: "sealed_secret_invalid", "a sealed secret is not base64") }
        let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key)
        return String(decoding: plain, as: UTF8.self)
    }
}
