import CoreEngine
import Storage

/// A Core's `runtime_config` (docs/api.md, "runtime_config"): the keys it may hold and their
/// rules. Its shape is checked with the request body (400 naming the field); what it refers to —
/// a role, a user of the tenant — when the Core is written (422 `invalid_runtime_config`).
enum RuntimeConfig {
    /// Every key `runtime_config` may hold.
    static let keys: Set<String> = ["default_assignee"]

    /// Records a problem for every unknown key and every value of the wrong kind.
    static func read(_ config: JSONValue, into reader: inout FieldReader) {
        guard case .object(let fields) = config else { return }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            let path = "runtime_config.\(IRNames.shown(key))"
            guard keys.contains(key) else {
                reader.problem(path, "unknown key; runtime_config takes \(keys.sorted().joined(separator: ", "))")
                continue
            }
            if case .string = value { continue }
            reader.problem(path, "expected a string such as \"role:approver\" or \"user:<user id>\", got \(value.typeName)")
        }
    }

    /// Throws 422 when `default_assignee` is not `role:<role>` or `user:<a user of the tenant>`.
    static func check(_ config: JSONValue, tenantID: String, in db: any SQLConnection) throws {
        guard let text = config.objectValue?["default_assignee"]?.stringValue else { return }
        let roles = Role.allCases.map(\.rawValue).joined(separator: ", ")
        let problem: String?
        switch Assignee(text) {
        case .role?:
            problem = nil
        case .user(let id)? where !IRNames.containsControlCharacter(id):
            let found = try db.queryOne("SELECT id FROM appliance_users WHERE tenant_id = ? AND id = ?", [.text(tenantID), .text(id)])
            problem = found == nil ? "no user '\(IRNames.shown(id))' in this tenant" : nil
        default:
            problem = text.unicodeScalars.starts(with: "role:".unicodeScalars)
                ? "no role '\(IRNames.shown(String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(5)))))'; roles: \(roles)"
                : "use role:<role> (\(roles)) or user:<user id>"
        }
        guard let problem else { return }
        throw ApplianceError(
            .unprocessable, code: "invalid_runtime_config", "runtime_config.default_assignee: \(problem)",
            details: ["problems": [["path": "runtime_config.default_assignee", "problem": .string(problem)]]])
    }
}
