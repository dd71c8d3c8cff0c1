import Foundation
import Testing

/// A unique directory under the system's temporary directory, for one test.
struct TemporaryDirectory: Sendable {
    let url: URL
    var path: String { url.path }

    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func appending(_ component: String) -> URL { url.appendingPathComponent(component) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a fresh temporary directory and removes the directory afterwards, also when
/// `body` throws.
func withTemporaryDirectory<T>(_ label: String, _ body: (TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory(label)
    do {
        let result = try await body(directory)
        directory.remove()
        return result
    } catch {
        directory.remove()
        throw error
    }
}

/// `count` random bytes (8 at a time: fast enough for a few MiB in a debug build).
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 8)
    while bytes.count < count {
        var word = generator.next() as UInt64
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: word))
            word >>= 8
        }
    }
    bytes.removeLast(bytes.count - count)
    return bytes
}

/// The UTF-8 bytes of a string (tests compare keys by bytes: Swift's `==` on strings treats
/// canonically equivalent strings as equal, storage must not).
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Sorts strings in the byte order of their UTF-8 encoding, the order every store lists in.
func byteOrdered(_ keys: [String]) -> [String] {
    keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}

/// Expects `body` to throw an error of type `E` that `matches` accepts (for error cases whose
/// associated text is the adapter's own wording).
func expectThrows<E: Error, R>(
    _ type: E.Type, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> R, matching matches: (E) -> Bool = { _ in true }
) async {
    do {
        _ = try await body()
        Issue.record("expected an error of type \(E.self), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as E {
        #expect(matches(error), "unexpected error \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected an error of type \(E.self), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Runs a check whose first phase must finish within `window` (a 200 ms TTL or lease, which a
/// loaded machine can miss between two calls: a durable write waits for fsync). `attempt` gets the
/// attempt number and a ``TimeWindow`` telling whether the window still holds; it answers false,
/// having recorded no expectations, when the phase ended too late. `retry` runs before each
/// further attempt (of five).
func withinWindow(
    _ window: Duration, sourceLocation: SourceLocation = #_sourceLocation,
    retry: () async throws -> Void = {},
    _ attempt: (_ number: Int, _ inTime: TimeWindow) async throws -> Bool
) async throws {
    var late: [Duration] = []
    for number in 0..<5 {
        if number > 0 { try await retry() }
        let started = ContinuousClock.now
        if try await attempt(number, TimeWindow(started: started, length: window)) { return }
        late.append(ContinuousClock.now - started)
    }
    Issue.record("""
        five attempts took longer than \(window) before their first check (\(late.map { "\($0)" }.joined(separator: ", "))): \
        the machine is too slow for this test
        """, sourceLocation: sourceLocation)
}

/// A span of time from `started`; calling it answers whether the span still holds.
struct TimeWindow: Sendable {
    let started: ContinuousClock.Instant
    let length: Duration

    func callAsFunction() -> Bool { ContinuousClock.now - started < length }
}

/// One named behaviour of a conformance suite, run against a fresh subject (a store, a
/// directory). Adapter suites pass the list to a parameterised `@Test`, so every behaviour is a
/// test case of its own, named in the report.
struct ConformanceCheck<Subject: Sendable>: Sendable, CustomTestStringConvertible {
    let name: String
    let run: @Sendable (Subject) async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable (Subject) async throws -> Void) {
        self.name = name
        self.run = run
    }

    var testDescription: String { name }
}
