import Appliance
import ArgumentParser
import Foundation

/// Process entry: runs the command line and turns every failure into one line on stderr and a
/// non-zero exit status.
@main
enum Entry {
    static func main() async {
        do {
            var command = try ScaicoreAppliance.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = ScaicoreAppliance.exitCode(for: error)
            if code == .success {
                print(ScaicoreAppliance.fullMessage(for: error))
            } else {
                let message = CommandFailure.oneLine(error)
                FileHandle.standardError.write(Data("scaicore-appliance: \(message)\n".utf8))
            }
            exit(code == .success ? 0 : code.rawValue)
        }
    }
}

/// The root command.
struct ScaicoreAppliance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaicore-appliance",
        abstract: "Hosts ScaiCore programs (Cores) with persistence, lifecycle and a REST API, in one self-contained box.",
        version: ApplianceVersion.current,
        subcommands: [Serve.self, Init.self, Admin.self, CoreCommands.self, Bench.self])
}

/// Renders errors as one line.
enum CommandFailure {
    static func oneLine(_ error: any Error) -> String {
        let text = ScaicoreAppliance.message(for: error)
        return text.split(separator: "\n").first.map(String.init) ?? "failed"
    }
}
