import Appliance
import ArgumentParser
import Foundation

/// Options every command that opens a data directory shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (default: $SCAICORE_CONFIG, else none).")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (configuration key data_dir).")
    var dataDir: String?

    /// Resolves defaults, file, environment and these flags, plus any extra flags of the command.
    func load(extra: [(key: ConfigKey, flag: String, value: String)] = []) throws -> ApplianceConfiguration {
        var flags = extra
        if let dataDir { flags.append((.dataDir, "--data-dir", dataDir)) }
        return try ConfigurationLoader(filePath: config, flags: flags).load()
    }
}

/// Opens the appliance of a data directory for an admin command (no serving, no recovery).
func openForAdministration(_ options: ConfigOptions) async throws -> Appliance {
    let configuration = try options.load()
    let appliance = try Appliance(configuration: configuration, logger: .init(label: "scaicore.admin"))
    try await appliance.migrate()
    return appliance
}

/// Writes one line to standard output and flushes it (stdout may be a pipe read line by line).
func emitLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
