import Appliance
import CoreEngine
import Foundation
import Hummingbird
import Logging
import Testing

@testable import HTTP

@Suite struct OpenAPICoverageTests {
    static func router() throws -> Router<AppRequestContext> {
        var configuration = ApplianceConfiguration.defaults()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString)")
        configuration.dataDirectory = directory.path
        configuration.sqlitePath = directory.appendingPathComponent("appliance.sqlite").path
        return buildRouter(appliance: try Appliance(configuration: configuration, logger: Logger(label: "test")))
    }

    /// "/v1/x/:id/start" and "/v1/x/{id}/start" both become "/v1/x/{}/start".
    static func normalised(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix(":") || $0.hasPrefix("{") ? "{}" : String($0) }.joined(separator: "/")
    }

    @Test func everyServedRouteIsDocumented() throws {
        // HEAD is generated for every GET route and documented with it.
        let served = Set(try Self.router().routes.filter { $0.method != .head }.map { "\($0.method.rawValue) \(Self.normalised($0.path.description))" })
        let paths = OpenAPIDocument.document.objectValue?["paths"]?.objectValue ?? [:]
        let documented = Set(paths.flatMap { path, item in
            (item.objectValue ?? [:]).keys.map { "\($0.uppercased()) \(Self.normalised(path))" }
        })
        #expect(served.count > 10)
        #expect(served.subtracting(documented).isEmpty, "served but missing from /openapi.json: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    @Test func everyAuthenticatedOperationNamesItsPermission() {
        let paths = OpenAPIDocument.document.objectValue?["paths"]?.objectValue ?? [:]
        for (path, item) in paths where path.hasPrefix(moduleAPIPrefix) {
            for (method, operation) in item.objectValue ?? [:] {
                let permission = operation.objectValue?["x-permission"]?.stringValue
                #expect(permission.flatMap(Permission.init(rawValue:)) != nil, "\(method) \(path)")
            }
        }
    }

    @Test func everySchemaReferenceResolves() {
        let document = OpenAPIDocument.document
        let schemas = Set(document.objectValue?["components"]?.objectValue?["schemas"]?.objectValue?.keys.map { $0 } ?? [])
        var references: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let fields):
                if let ref = fields["$ref"]?.stringValue { references.append(ref) }
                fields.values.forEach(walk)
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(document)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(schemas.contains(String(reference.dropFirst("#/components/schemas/".count))), "\(reference)")
        }
    }

    @Test func methodNotAllowedConsultsTheCatalog() {
        #expect(Set(APICatalog.methods(forPath: "/v1/modules/scaicore/cores/core_X")) == [.get, .head, .patch, .delete])
        #expect(APICatalog.methods(forPath: "/v1/modules/scaicore/cores/core_X/start") == [.post])
        #expect(APICatalog.methods(forPath: "/v1/modules/scaicore/nothing").isEmpty)
    }
}
