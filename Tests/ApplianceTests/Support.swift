import Appliance
import CoreEngine
import Foundation
import Logging

/// An appliance on a fresh temporary data directory, with two tenants and an admin of each.
struct TestAppliance {
    let appliance: Appliance
    let directory: URL
    let first: Principal
    let second: Principal

    static func make(maxIRBytes: Int = 1 << 20, now: @escaping Now = { Date() }) async throws -> TestAppliance {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("appliance-tests-\(UUID().uuidString)")
        let appliance = try open(directory, maxIRBytes: maxIRBytes, now: now)
        try await appliance.migrate()
        let one = try await appliance.tenants.create(slug: "one", name: "One")
        let two = try await appliance.tenants.create(slug: "two", name: "Two")
        let userOne = try await appliance.tenants.ensureUser(tenantID: one.id, name: "alice")
        let userTwo = try await appliance.tenants.ensureUser(tenantID: two.id, name: "bob")
        return TestAppliance(
            appliance: appliance, directory: directory,
            first: Principal(tenantID: one.id, userID: userOne, role: .admin, tokenID: "token_test1"),
            second: Principal(tenantID: two.id, userID: userTwo, role: .admin, tokenID: "token_test2"))
    }

    static func open(_ directory: URL, maxIRBytes: Int = 1 << 20, now: @escaping Now = { Date() }) throws -> Appliance {
        var configuration = ApplianceConfiguration.defaults()
        configuration.dataDirectory = directory.path
        configuration.sqlitePath = directory.appendingPathComponent("appliance.sqlite").path
        configuration.maxIRBytes = maxIRBytes
        return try Appliance(configuration: configuration, logger: Logger(label: "test"), now: now)
    }

    var cores: CoreService { appliance.cores }

    func context(_ principal: Principal, reason: String? = nil) -> ActionContext {
        ActionContext(principal: principal, requestID: "req-test", reason: reason)
    }

    /// The smallest bundle that validates: one api flow returning its input.
    static func minimalIR(description: String = "test") -> JSONValue {
        [
            "ir_version": "1.0", "name": "test", "version": "0.1.0", "description": .string(description),
            "flows": ["main": ["triggers": [["type": "api"]], "steps": [["id": "done", "op": "return", "value": "{{ input }}"]]]],
        ]
    }

    func create(_ name: String = "Core", by principal: Principal? = nil, slug: String? = nil) async throws -> Core {
        let owner = principal ?? first
        return try await cores.create(
            CoreDraft(name: name, slug: slug, ir: Self.minimalIR()), tenantID: owner.tenantID, context: context(owner))
    }
}

/// The error's kind, or nil when it is not an ApplianceError.
func kind(of body: () async throws -> Void) async -> ApplianceError.Kind? {
    do {
        try await body()
        return nil
    } catch let error as ApplianceError {
        return error.kind
    } catch {
        return nil
    }
}
