// swift-tools-version:6.2
// A libFuzzer target for the IR decoder, validator and expression evaluator (scripts/fuzz.sh).
// A package of its own so that normal builds never need the fuzzer runtime.
import PackageDescription

let package = Package(
    name: "scaicore-fuzz",
    dependencies: [.package(name: "scaicore-appliance", path: "..")],
    targets: [
        .executableTarget(
            name: "IRFuzz",
            dependencies: [.product(name: "CoreEngine", package: "scaicore-appliance")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v6]
)
