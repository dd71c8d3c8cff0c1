import Appliance
import Foundation
import Storage
import Synchronization
import Testing

@Suite struct TokenServiceTests {
    @Test func issuedTokensAuthenticateAsTheirTenantUserAndRole() async throws {
        let t = try await TestAppliance.make()
        let (token, secret) = try await t.appliance.tokens.issue(tenantID: t.first.tenantID, userName: "carol", role: .operator, name: "ops", expiresAt: nil)
        let principal = try await t.appliance.tokens.authenticate(secret)
        #expect(principal?.tenantID == t.first.tenantID && principal?.role == .operator && principal?.tokenID == token.id)
        #expect(try await t.appliance.tokens.authenticate(secret + "x") == nil)
        #expect(try await t.appliance.tokens.authenticate("") == nil)
        #expect(try await t.appliance.tokens.authenticate("Bearer " + secret) == nil)
    }

    @Test func onlyAHashIsStored() async throws {
        let t = try await TestAppliance.make()
        let (_, secret) = try await t.appliance.tokens.issue(tenantID: t.first.tenantID, userName: "u", role: .viewer, name: "n", expiresAt: nil)
        let rows = try await t.appliance.store.read { db in try db.query("SELECT * FROM appliance_api_tokens", []) }
        for row in rows {
            for value in row.values {
                if case .text(let text) = value { #expect(!text.contains(secret.dropFirst(5))) }
            }
        }
    }

    @Test func revokedTokensStopWorking() async throws {
        let t = try await TestAppliance.make()
        let (token, secret) = try await t.appliance.tokens.issue(tenantID: t.first.tenantID, userName: "u", role: .viewer, name: "n", expiresAt: nil)
        #expect(try await t.appliance.tokens.revoke(tokenID: token.id))
        #expect(try await t.appliance.tokens.authenticate(secret) == nil)
        #expect(try await t.appliance.tokens.revoke(tokenID: token.id) == false)
    }

    @Test func expiredTokensStopWorking() async throws {
        let clock = Mutex(Date())
        let t = try await TestAppliance.make(now: { clock.withLock { $0 } })
        let expiry = clock.withLock { $0 }.addingTimeInterval(60)
        let (_, secret) = try await t.appliance.tokens.issue(tenantID: t.first.tenantID, userName: "u", role: .viewer, name: "n", expiresAt: expiry)
        #expect(try await t.appliance.tokens.authenticate(secret) != nil)
        clock.withLock { $0 = $0.addingTimeInterval(61) }
        #expect(try await t.appliance.tokens.authenticate(secret) == nil)
    }

    @Test func firstStartCreatesTheDefaultTenantOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("first-start-\(UUID().uuidString)")
        let appliance = try TestAppliance.open(directory)
        try await appliance.migrate()
        let first = try #require(try await appliance.bootstrapIfEmpty())
        #expect(first.tenant.slug == "default")
        #expect(try await appliance.tokens.authenticate(first.adminToken)?.role == .admin)
        #expect(try await appliance.bootstrapIfEmpty() == nil)
    }

    @Test func permissionMatrixGuardsEachRole() throws {
        let viewer = Principal(tenantID: "t", userID: "u", role: .viewer, tokenID: "k")
        #expect(throws: Never.self) { try viewer.require(.coresRead) }
        #expect(throws: ApplianceError.self) { try viewer.require(.coresWrite) }
        let operatorRole = Principal(tenantID: "t", userID: "u", role: .operator, tokenID: "k")
        #expect(throws: Never.self) { try operatorRole.require(.coresOperate) }
        #expect(throws: ApplianceError.self) { try operatorRole.require(.auditRead) }
    }
}
