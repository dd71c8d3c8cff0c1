import CoreEngine
import Testing

/// Inputs at the edges the fuzz target (scripts/fuzz.sh) explores: each must give a value or a
/// clean error, never a trap. Add every crashing input the fuzzer finds here before fixing it.
@Suite struct FuzzRegressionTests {
    static let bundleInputs: [String] = [
        "", "{", "[]", "null", "\"\\ud800\"", String(repeating: "[", count: 100_000),
        #"{"ir_version":"1.0","name":"n","version":"1","flows":{"f":{"triggers":[{"type":"api"}],"steps":[{"id":"a","op":"for_each","items":"x","as":"x","steps":[]}]}}}"#,
        #"{"ir_version":"1.0","name":"n","version":"1","flows":{"f":{"triggers":[{"type":"schedule","cron":"*/99999999999999999999 * * * *"}],"steps":[{"id":"a","op":"sleep","duration":"PT99999999999H"}]}}}"#,
        #"{"ir_version":"99999999999999999999.0","name":1,"version":[],"flows":[]}"#,
        #"{"ir_version":"1.0","name":"n","version":"1","flows":{"a":{"triggers":[{"type":"api"}],"steps":[{"id":"s","op":"call","flow":"a"}]}}}"#,
    ]

    static let expressionInputs: [String] = [
        "-9223372036854775808", "9223372036854775808", "1e308 * 1e308", "0.0 / 0.0", "(-9223372036854775807 - 1) / -1",
        "(-9223372036854775807 - 1) % -1", "round(1e300, 12)", "slice('abc', -9223372036854775807 - 1, 9223372036854775807)",
        "{{", "{{}}", "}}{{", "'\\u", "'\\uD800'", "a[[[[", String(repeating: "-", count: 5000) + "1",
        "split('a', 'a') + split('', ',')", "join([[1], {a: nil}], 1)", "abs(-9223372036854775807 - 1)",
        "floor(1e300)", "to_number('1e400')", "len(slice([1,2], 5, 1))",
    ]

    @Test(arguments: bundleInputs)
    func bundleInputsNeverTrap(_ text: String) {
        _ = try? BundleDecoder.decode(Array(text.utf8))
    }

    @Test(arguments: expressionInputs)
    func expressionInputsNeverTrap(_ text: String) {
        if let expression = try? ExpressionParser.parse(text) { _ = try? ExpressionEvaluator.evaluate(expression, variables: [:]) }
        if let template = try? Template(text) { _ = try? template.render(variables: [:]) }
    }

    @Test func aSelfCallIsACycle() throws {
        #expect {
            _ = try BundleDecoder.decode(Array(Self.bundleInputs[9].utf8))
        } throws: { error in
            (error as? IRValidationError)?.problems == [IRProblem("flows.a.steps[0].flow", "call cycle: a → a")]
        }
    }
}
