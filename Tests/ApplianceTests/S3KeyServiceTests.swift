import Appliance
import Foundation
import Storage
import Testing

/// S3 access keys: tenant-scoped, secrets shown once and stored only sealed.
@Suite struct S3KeyServiceTests {
    @Test func issuedKeysResolveToTheirTenantUntilRevoked() async throws {
        let test = try await TestAppliance.make()
        let keys = test.appliance.s3Keys
        let (key, secret) = try await keys.issue(tenantID: test.first.tenantID, name: "backup")
        #expect(key.accessKeyID.hasPrefix("GK") && key.accessKeyID.count == 26)
        #expect(secret.count == 64 && secret.allSatisfy(\.isHexDigit))
        let found = try #require(try await keys.credential(accessKeyID: key.accessKeyID))
        #expect(found.tenantID == test.first.tenantID && found.secret == secret)
        #expect(try await keys.list(tenantID: test.first.tenantID).map(\.accessKeyID) == [key.accessKeyID])
        #expect(try await keys.list(tenantID: test.second.tenantID).isEmpty)
        #expect(try await keys.credential(accessKeyID: "GK000000000000000000000000") == nil)

        #expect(try await keys.revoke(accessKeyID: key.accessKeyID))
        #expect(try await keys.credential(accessKeyID: key.accessKeyID) == nil)
        #expect(try await keys.revoke(accessKeyID: key.accessKeyID) == false)
    }

    @Test func secretsAreStoredSealedAndNeedTheMasterKey() async throws {
        let test = try await TestAppliance.make()
        let (key, secret) = try await test.appliance.s3Keys.issue(tenantID: test.first.tenantID, name: "sealed")
        let stored = try await test.appliance.store.read { db in
            try db.queryOne("SELECT secret_sealed FROM appliance_s3_keys WHERE access_key_id = ?", [.text(key.accessKeyID)])?.text("secret_sealed")
        }
        let sealed = try #require(stored)
        #expect(!sealed.contains(secret))
        // The master key is 32 bytes, owner-only; another key cannot open the secret.
        let keyPath = test.directory.appendingPathComponent("keys/master.key").path
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)).count == 32)
        let otherDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sealer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: otherDirectory) }
        let other = try SecretSealer(directory: otherDirectory.path)
        #expect(throws: (any Error).self) { try other.open(sealed) }
        // The same directory's key is stable across openings.
        let again = try SecretSealer(directory: test.directory.appendingPathComponent("keys").path)
        #expect(try again.open(sealed) == secret)
    }
}
