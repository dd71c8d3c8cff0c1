import Appliance
import ArgumentParser
import Foundation

/// `admin`: tenants, API tokens and S3 keys, straight on the data directory (the server may be running).
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage tenants, API tokens and S3 access keys.",
        subcommands: [TenantCommands.self, TokenCommands.self, S3KeyCommands.self])
}

struct TenantCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Create and list tenants.", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant; prints its id.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Slug of the tenant (lower-case letters, digits, dashes).") var slug: String
        @Option(help: "Display name (default: the slug).") var name: String?

        func run() async throws {
            let appliance = try await openForAdministration(options)
            let tenant = try await appliance.tenants.create(slug: slug, name: name ?? slug)
            emitLine("\(tenant.id)\t\(tenant.slug)\t\(tenant.name)")
            await appliance.store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants: id, slug, name, created.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let appliance = try await openForAdministration(options)
            for tenant in try await appliance.tenants.list() {
                emitLine("\(tenant.id)\t\(tenant.slug)\t\(tenant.name)\t\(tenant.createdAt)")
            }
            await appliance.store.close()
        }
    }
}

struct TokenCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Issue, list and revoke API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token; prints its id and the token, which is shown only this once.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Tenant id or slug.") var tenant: String
        @Option(help: "Role: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).") var role: String
        @Option(help: "User the token acts as (created if missing; default: the role's name).") var user: String?
        @Option(help: "Label shown in listings.") var name: String?
        @Option(help: "E-mail address of the user (where checkpoint notifications go); replaces a previous one.") var email: String?
        @Option(help: "Lifetime such as 90d, 12h, 30m, or an ISO 8601 time (default: never expires).") var expires: String?

        func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("unknown role '\(role)'; use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let email, !(email.contains("@") && email.count <= 254 && !email.contains(where: { $0.isWhitespace || "<>\r\n,;".contains($0) })) {
                throw ValidationError("bad --email '\(email)'; use an address such as alice@example.com")
            }
            if let expires, Expiry.parse(expires, now: Date()) == nil {
                throw ValidationError("bad --expires '\(expires)'; use 90d, 12h, 30m or an ISO 8601 time in the future")
            }
        }

        func run() async throws {
            let appliance = try await openForAdministration(options)
            guard let found = try await appliance.tenants.find(tenant) else {
                throw ValidationError("no tenant '\(tenant)'; see 'admin tenant list'")
            }
            let role = Role(rawValue: role) ?? .viewer
            let (token, secret) = try await appliance.tokens.issue(
                tenantID: found.id, userName: user ?? role.rawValue, role: role, name: name ?? "\(role.rawValue) token",
                expiresAt: expires.flatMap { Expiry.parse($0, now: Date()) })
            if let email { try await appliance.tenants.setEmail(tenantID: found.id, userID: token.userID, email: email) }
            emitLine("\(token.id)\t\(secret)")
            await appliance.store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's tokens (never their secrets).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Tenant id or slug.") var tenant: String

        func run() async throws {
            let appliance = try await openForAdministration(options)
            guard let found = try await appliance.tenants.find(tenant) else { throw ValidationError("no tenant '\(tenant)'") }
            for token in try await appliance.tokens.list(tenantID: found.id) {
                let state = token.revokedAt.map { "revoked \($0)" } ?? token.expiresAt.map { "expires \($0)" } ?? "active"
                emitLine("\(token.id)\t\(token.role.rawValue)\t\(token.name)\t\(state)")
            }
            await appliance.store.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id; it stops working at once.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Token id (token_...).") var id: String

        func run() async throws {
            let appliance = try await openForAdministration(options)
            let revoked = try await appliance.tokens.revoke(tokenID: id)
            await appliance.store.close()
            guard revoked else { throw ValidationError("no active token '\(id)'") }
            emitLine("revoked \(id)")
        }
    }
}

/// Token lifetimes: `90d`, `12h`, `30m`, `45s`, or an ISO 8601 time.
enum Expiry {
    static func parse(_ text: String, now: Date) -> Date? {
        if let unit = text.last, let amount = Double(text.dropLast()), amount > 0 {
            let seconds: Double? =
                switch unit {
                case "d": amount * 86_400
                case "h": amount * 3_600
                case "m": amount * 60
                case "s": amount
                default: nil
                }
            if let seconds { return now.addingTimeInterval(seconds) }
        }
        if let date = try? Date.ISO8601FormatStyle().parse(text), date > now { return date }
        return nil
    }
}
