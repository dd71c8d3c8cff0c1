import Appliance
import Foundation
import Testing

/// The docs promise things the code decides; these tests keep them equal.
@Suite struct DocumentationSyncTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func configurationDocListsEveryKeyWithItsDefault() throws {
        let text = try Self.read("docs/configuration.md")
        for key in ConfigKey.all {
            let row = text.split(separator: "\n").first { $0.hasPrefix("| `\(key.name)` |") }
            #expect(row != nil, "docs/configuration.md has no row for \(key.name)")
            let shownDefault = key.defaultValue.isEmpty ? "empty" : "`\(key.defaultValue)`"
            #expect(row?.contains(shownDefault) == true, "docs/configuration.md shows another default for \(key.name)")
        }
        let documented = text.split(separator: "\n").filter { $0.hasPrefix("| `") }.count
        #expect(documented == ConfigKey.all.count, "docs/configuration.md documents keys the code does not know")
    }

    @Test func securityDocMatrixIsTheEnforcedMatrix() throws {
        let text = try Self.read("docs/security.md")
        let lines = text.split(separator: "\n").map(String.init)
        guard let header = lines.first(where: { $0.hasPrefix("| permission |") }) else {
            Issue.record("docs/security.md has no permission matrix")
            return
        }
        let roles = header.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.dropFirst()
        #expect(Set(roles) == Set(Role.allCases.map(\.rawValue)))
        var seen: Set<Permission> = []
        for line in lines where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let permission = Permission(rawValue: cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))) else {
                Issue.record("unknown permission row: \(line)")
                continue
            }
            seen.insert(permission)
            for (role, cell) in zip(roles, cells.dropFirst()) {
                guard let role = Role(rawValue: role) else { continue }
                #expect((cell == "yes") == AccessPolicy.allows(role, permission), "\(role) × \(permission)")
            }
        }
        #expect(seen == Set(Permission.allCases))
    }
}
