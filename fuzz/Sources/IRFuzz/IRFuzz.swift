import CoreEngine

/// libFuzzer entry: every input is tried as a bundle (JSON → decoder → validator), and as an
/// expression and a template evaluated against a fixed set of variables. Any trap is a bug; the
/// inputs that found one go into Tests/CoreEngineTests/FuzzRegressionTests.swift.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    _ = try? BundleDecoder.decode(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    if let expression = try? ExpressionParser.parse(text) {
        _ = try? ExpressionEvaluator.evaluate(expression, variables: variables)
    }
    if let template = try? Template(text) {
        _ = try? template.render(variables: variables)
    }
    return 0
}

private let variables: [String: JSONValue] = [
    "input": ["id": "INV-1", "amount": 1500, "rate": 0.25, "tags": ["a", "b"], "nested": ["deep": [1, 2, ["x": nil]]]],
    "n": 3, "s": "text", "list": [1, 2, 3], "flag": true, "none": nil,
]

/// SwiftPM links executables with `main` aliased to `<module>_main`; hand control to libFuzzer's
/// driver from there (libFuzzer's own `main` is not used).
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt) -> CInt

@_cdecl("IRFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { start, size in fuzz(start, size) }
}
