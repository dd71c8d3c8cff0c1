import ArgumentParser

/// `bench`: benchmarks that print their figures next to a reference measured in the same run.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run benchmarks; each prints its figures and a reference measured in the same run.",
        subcommands: [BenchAPI.self, BenchEngine.self, BenchStorage.self, BenchRuntime.self])
}
