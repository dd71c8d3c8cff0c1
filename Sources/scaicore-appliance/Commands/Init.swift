import Appliance
import ArgumentParser

/// `init`: creates the data directory, the schema, the default tenant and the first admin token.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the data directory, its database, the default tenant and an admin token (shown once).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let appliance = try await openForAdministration(options)
        if let first = try await appliance.bootstrapIfEmpty() {
            emitLine("initialised \(appliance.configuration.dataDirectory): tenant '\(first.tenant.slug)' (\(first.tenant.id))")
            emitLine("admin token (shown once, store it now): \(first.adminToken)")
        } else {
            emitLine("\(appliance.configuration.dataDirectory) is already initialised; schema is up to date")
        }
        await appliance.store.close()
    }
}
