import ArgumentParser
import CoreEngine
import Foundation

/// `core`: work with Core programs (IR bundles) offline.
struct CoreCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core", abstract: "Work with Core programs (IR bundles).", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate IR bundle files; prints every problem as PATH: MESSAGE and exits 1 if any file has one.")

        @Argument(help: "IRBundle files (JSON).") var files: [String]

        func run() async throws {
            var failed = false
            for file in files {
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                    throw ValidationError("cannot read \(file): \(error.localizedDescription)")
                }
                do {
                    let bundle = try BundleDecoder.decode(Array(data))
                    emitLine("\(file): valid (\(bundle.name) \(bundle.version), \(bundle.flows.count) flow\(bundle.flows.count == 1 ? "" : "s"))")
                } catch {
                    failed = true
                    for problem in error.problems { emitLine("\(file): \(problem.path): \(problem.message)") }
                }
            }
            if failed { throw ExitCode.failure }
        }
    }
}
