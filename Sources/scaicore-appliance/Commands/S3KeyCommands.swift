import Appliance
import ArgumentParser
import Foundation

/// `admin s3-key`: access keys of the S3 listener, tenant-scoped.
struct S3KeyCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3-key", abstract: "Issue, list and revoke S3 access keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue an S3 access key for a tenant; prints the access key id and the secret, which is shown only this once.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Tenant id or slug.") var tenant: String
        @Option(help: "Label shown in listings.") var name: String?

        func run() async throws {
            let appliance = try await openForAdministration(options)
            guard let found = try await appliance.tenants.find(tenant) else {
                throw ValidationError("no tenant '\(tenant)'; see 'admin tenant list'")
            }
            let (key, secret) = try await appliance.s3Keys.issue(tenantID: found.id, name: name ?? "s3 key")
            emitLine("\(key.accessKeyID)\t\(secret)")
            await appliance.store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's S3 keys: id, name, created, state (never the secret).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Tenant id or slug.") var tenant: String

        func run() async throws {
            let appliance = try await openForAdministration(options)
            guard let found = try await appliance.tenants.find(tenant) else { throw ValidationError("no tenant '\(tenant)'") }
            for key in try await appliance.s3Keys.list(tenantID: found.id) {
                emitLine("\(key.accessKeyID)\t\(key.name)\t\(key.createdAt)\t\(key.revokedAt.map { "revoked \($0)" } ?? "active")")
            }
            await appliance.store.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an S3 key by access key id; requests signed with it fail from then on.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Access key id (GK...).") var id: String

        func run() async throws {
            let appliance = try await openForAdministration(options)
            let revoked = try await appliance.s3Keys.revoke(accessKeyID: id)
            await appliance.store.close()
            guard revoked else { throw ValidationError("no active S3 key '\(id)'") }
            emitLine("revoked \(id)")
        }
    }
}
