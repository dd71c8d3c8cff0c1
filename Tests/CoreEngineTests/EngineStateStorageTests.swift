import CoreEngine
import Foundation
import Testing

/// The stored (binary) form of a suspended run's state.
@Suite struct EngineStateStorageTests {
    /// A run suspended inside a loop inside a called flow, with values of every JSON type.
    private func suspendedState() async throws -> EngineState {
        let bundle = try BundleDecoder.decode([
            "ir_version": "1.0", "name": "t", "version": "1",
            "flows": [
                "main": ["triggers": [["type": "api"]], "steps": [
                    ["id": "values", "op": "set", "var": "mixed", "value": ["n": -42, "big": 9_007_199_254_740_993, "pi": 3.25, "ok": true, "no": false,
                                                                            "none": nil, "text": "grüße \"quoted\"\n", "list": [1, [2, ["deep": "x"]]]]],
                    ["id": "each", "op": "for_each", "items": "input.items", "as": "item", "index": "i", "steps": [
                        ["id": "inner", "op": "call", "flow": "wait", "input": "{{ item }}", "out": "got"],
                    ]],
                ]],
                "wait": ["triggers": [["type": "api"]], "steps": [
                    ["id": "nap", "op": "sleep", "duration": "PT1M"],
                    ["id": "back", "op": "return", "value": "{{ input }}"],
                ]],
            ],
        ])
        let outcome = await Engine(bundle: bundle).invoke(flow: "main", input: ["items": ["a", "b"]], context: Engine.RunContext(runID: "r1", startedAt: "2026-01-01T00:00:00Z"), host: TestHost())
        guard case .suspended(_, let state) = outcome else { throw RunError(code: "test", message: "\(outcome)", step: nil) }
        return state
    }

    @Test func roundTripsExactly() async throws {
        let state = try await suspendedState()
        let bytes = state.encoded()
        #expect(Array(bytes.prefix(4)) == Array("SCES".utf8))
        #expect(try EngineState(encoded: bytes) == state)
    }

    @Test func everyTruncationIsRefused() async throws {
        let bytes = try await suspendedState().encoded()
        for length in 0..<bytes.count {
            #expect(throws: EngineStateDecodingError.self) { try EngineState(encoded: bytes.prefix(length)) }
        }
        #expect(throws: EngineStateDecodingError.self) { try EngineState(encoded: bytes + [0]) }
    }

    @Test func otherFormatsAndForeignBytesAreRefused() async throws {
        var bytes = try await suspendedState().encoded()
        bytes[4] = 1
        #expect(throws: EngineStateDecodingError.self) { try EngineState(encoded: bytes) }
        #expect(throws: EngineStateDecodingError.self) { try EngineState(encoded: Array("{\"format\":1}".utf8)) }
    }

    /// A state stored before the key scheme byte existed (format 2) reads as the unescaped
    /// scheme its run journaled with; an unknown scheme byte is refused.
    @Test func aFormatTwoStateReadsAsTheUnescapedScheme() async throws {
        let state = try await suspendedState()
        #expect(state.journalKeys == .escaped)
        var bytes = state.encoded()
        #expect(bytes[4] == 3 && bytes[5] == JournalKeyScheme.escaped.rawValue)
        bytes.remove(at: 5)
        bytes[4] = 2
        let old = try EngineState(encoded: bytes)
        #expect(old.journalKeys == .unescaped)
        #expect(old.format == EngineState.currentFormat)
        var expected = state
        expected.journalKeys = .unescaped
        #expect(old == expected)
        var unknown = state.encoded()
        unknown[5] = 9
        #expect(throws: EngineStateDecodingError.self) { try EngineState(encoded: unknown) }
    }

    /// Corrupt bytes (any single byte changed to any value, and forged huge lengths) throw or
    /// decode to some state; they never trap or allocate without bound.
    @Test func corruptBytesNeverTrap() async throws {
        let bytes = try await suspendedState().encoded()
        var refused = 0
        for position in 4..<bytes.count {
            for replacement: UInt8 in [0x00, 0x01, 0x05, 0x07, 0x7F, 0x80, 0xFF] where replacement != bytes[position] {
                var corrupt = bytes
                corrupt[position] = replacement
                if (try? EngineState(encoded: corrupt)) == nil { refused += 1 }
            }
        }
        let forgedLength = Array(bytes.prefix(6)) + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: EngineStateDecodingError.self) { try EngineState(encoded: forgedLength) }
        #expect(refused > 0)
    }
}
