@testable import Appliance
import CoreEngine
import Testing

@Suite struct RuntimeSupportTests {
    @Test func schemaCheckNamesEveryProblemAtItsPath() {
        let schema: JSONValue = [
            "type": "object", "required": ["tax_id", "days"], "additionalProperties": false,
            "properties": [
                "tax_id": ["type": "string", "pattern": "^[A-Z]{2}[0-9]{8}$"],
                "days": ["type": "integer", "minimum": 0, "maximum": 120],
                "tags": ["type": "array", "items": ["type": "string"], "maxItems": 2],
            ],
        ]
        #expect(SchemaCheck.problems(["tax_id": "DE12345678", "days": 30], against: schema).isEmpty)
        let problems = SchemaCheck.problems(["tax_id": "x", "days": 121, "tags": ["a", 1, "c"], "extra": true], against: schema)
        #expect(Set(problems.map(\.path)) == ["data.tax_id", "data.days", "data.tags", "data.tags[1]", "data.extra"])
        #expect(SchemaCheck.problems(.array([]), against: schema).map(\.path) == ["data"])
        #expect(SchemaCheck.problems(["days": 1.5, "tax_id": "DE12345678"], against: schema).map(\.path) == ["data.days"])
        // A pattern that is not a regular expression checks nothing rather than failing every answer.
        #expect(SchemaCheck.problems("x", against: ["type": "string", "pattern": "("]).isEmpty)
    }

    @Test func builtinProviderIsDeterministic() async throws {
        let provider = BuiltinModelProvider()
        #expect(try await provider.complete(model: "echo", params: .null, prompt: "hello", system: nil) == "hello")
        #expect(try await provider.complete(model: "reply", params: ["reply": "fixed"], prompt: "hello", system: nil) == "fixed")
        #expect(try await provider.complete(model: "first-choice", params: .null, prompt: "invoice",
                                           system: "You label invoices. Answer with one word: goods, services or travel.") == "goods")
        #expect(try await provider.complete(model: "first-choice", params: .null, prompt: "no list here", system: nil) == "no list here")
    }

    @Test func routerSendsUnknownProvidersToTheFallbackOrFails() async throws {
        let alias = ModelAlias(model: "openai:gpt-4o-mini", params: .null)
        let lenient = InferenceRouter(unrouted: .builtin)
        let answer = try await lenient.complete(alias: "classifier", declared: alias, prompt: "p", system: nil)
        #expect(answer.text == "p" && answer.provider == "builtin")
        let strict = InferenceRouter(unrouted: .fail)
        await #expect(throws: RunError.self) { _ = try await strict.complete(alias: "classifier", declared: alias, prompt: "p", system: nil) }
        let builtin = ModelAlias(model: "builtin:reply", params: ["reply": "ok"])
        #expect(try await strict.complete(alias: "a", declared: builtin, prompt: "p", system: nil).text == "ok")
    }

    @Test func assigneesAndDefaults() {
        #expect(Assignee("user:user_01") == .user("user_01"))
        #expect(Assignee("role:approver") == .role("approver"))
        #expect(Assignee("role:king") == nil && Assignee("user:") == nil && Assignee("default") == nil && Assignee("alice") == nil)
        #expect(CheckpointService.defaultAssignee(["default_assignee": "role:operator"]) == "role:operator")
        #expect(CheckpointService.defaultAssignee(["default_assignee": "nobody"]) == "role:admin")
        #expect(CheckpointService.resolve("default", fallback: "role:operator") == "role:operator")
        #expect(CheckpointService.resolve("user:u1", fallback: "role:operator") == "user:u1")
    }

    @Test func pluginEndpointsParse() throws {
        #expect(try ApplianceConfiguration.parseEndpoints("") == [:])
        #expect(try ApplianceConfiguration.parseEndpoints("payments=http://127.0.0.1:9100/pay, crm = https://crm.local/x")
                == ["payments": "http://127.0.0.1:9100/pay", "crm": "https://crm.local/x"])
        #expect(throws: ConfigurationError.self) { try ApplianceConfiguration.parseEndpoints("payments") }
        #expect(throws: ConfigurationError.self) { try ApplianceConfiguration.parseEndpoints("payments=ftp://x") }
    }

    @Test func derivedIdentifiersAreStableAndWellFormed() {
        let one = Identifier.derived("chk", from: "run_1\napproval")
        #expect(one == Identifier.derived("chk", from: "run_1\napproval"))
        #expect(one != Identifier.derived("chk", from: "run_1\napproval2"))
        #expect(Identifier.isWellFormed(one, prefix: "chk"))
    }
}
