import Foundation
import Storage
import Testing

/// The behaviour every ``KeyValueStore`` adapter must show (LMDB now; Redis for ScaiGrid).
///
/// An adapter's suite runs each of ``checks`` against a fresh, empty store, either one test case
/// per check (`@Test(arguments: KeyValueStoreConformance.checks)`) or all at once with
/// ``runAll(_:)``. Expiry is tested with real time: TTLs of 200 ms and sleeps of 300 ms.
enum KeyValueStoreConformance {
    typealias Check = ConformanceCheck<any KeyValueStore>

    static let checks: [Check] = [
        Check("put, get and delete") { try await putGetDelete($0) },
        Check("overwrite replaces the value") { try await overwriteReplaces($0) },
        Check("scopes isolate tenants, cores and scopes") { try await scopesIsolate($0) },
        Check("a TTL key disappears at expiry") { try await ttlExpires($0) },
        Check("expired keys are absent for scan, compareAndSet and increment") { try await expiredKeysAreAbsentEverywhere($0) },
        Check("a put without TTL removes an earlier expiry") { try await putWithoutTTLRemovesExpiry($0) },
        Check("purgeExpired removes expired entries only") { try await purgeExpiredRemovesOnlyExpired($0) },
        Check("compareAndSet") { try await compareAndSet($0) },
        Check("increment") { try await increment($0) },
        Check("increment refuses non-integers and overflow") { try await incrementRefusesBadValues($0) },
        Check("increment keeps an existing TTL") { try await incrementKeepsTTL($0) },
        Check("scan answers a prefix in byte order") { try await scanPrefixInByteOrder($0) },
        Check("scan pages cover every key once") { try await scanPaginationCoversEveryKeyOnce($0) },
        Check("scan after and limit") { try await scanAfterAndLimit($0) },
        Check("invalid keys and values are refused") { try await invalidKeysAreRefused($0) },
        Check("concurrent increments are not lost") { try await concurrentIncrements($0) },
        Check("concurrent puts are all readable") { try await concurrentPuts($0) },
    ]

    /// Runs every check, each against a store from `makeStore`.
    static func runAll(_ makeStore: () async throws -> any KeyValueStore) async throws {
        for check in checks { try await check.run(makeStore()) }
    }

    static let scope = KeyValueScope(tenant: "tenant-a", core: "core-1", scope: "memory")
    static let ttl: Duration = .milliseconds(200)
    static let pastTTL: Duration = .milliseconds(300)

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: - Basics

    static func putGetDelete(_ store: any KeyValueStore) async throws {
        #expect(try await store.get("missing", in: scope) == nil)
        try await store.put("greeting", bytes("hello"), in: scope)
        #expect(try await store.get("greeting", in: scope) == bytes("hello"))
        // Binary values and the empty value round-trip exactly.
        let binary: [UInt8] = [0, 1, 0xFF, 0, 0x80]
        try await store.put("binary", binary, in: scope)
        #expect(try await store.get("binary", in: scope) == binary)
        try await store.put("empty", [], in: scope)
        #expect(try await store.get("empty", in: scope) == [])

        #expect(try await store.delete("greeting", in: scope) == true)
        #expect(try await store.get("greeting", in: scope) == nil)
        #expect(try await store.delete("greeting", in: scope) == false)
        #expect(try await store.delete("never-there", in: scope) == false)
        // An empty value is a live value.
        #expect(try await store.delete("empty", in: scope) == true)
        #expect(try await store.get("binary", in: scope) == binary)
    }

    static func overwriteReplaces(_ store: any KeyValueStore) async throws {
        try await store.put("k", bytes("a much longer first value"), in: scope)
        try await store.put("k", bytes("short"), in: scope)
        #expect(try await store.get("k", in: scope) == bytes("short"))
        let page = try await store.scan(prefix: "", after: nil, limit: 100, in: scope)
        #expect(page.entries == [KeyValueEntry(key: "k", value: bytes("short"))])
    }

    static func scopesIsolate(_ store: any KeyValueStore) async throws {
        let scopes = [
            KeyValueScope(tenant: "t1", core: "c1", scope: "memory"),
            KeyValueScope(tenant: "t1", core: "c1", scope: "memory2"),  // another scope (and a longer name)
            KeyValueScope(tenant: "t1", core: "c1", scope: "mem"),  // a prefix of the first
            KeyValueScope(tenant: "t1", core: "c2", scope: "memory"),  // another core
            KeyValueScope(tenant: "t2", core: "c1", scope: "memory"),  // another tenant
            KeyValueScope(tenant: "t1c1", core: "memory", scope: "x"),  // the same characters, cut elsewhere
        ]
        for (index, scope) in scopes.enumerated() {
            try await store.put("shared", bytes("value-\(index)"), in: scope)
            try await store.put("only-\(index)", bytes("own-\(index)"), in: scope)
        }
        for (index, scope) in scopes.enumerated() {
            #expect(try await store.get("shared", in: scope) == bytes("value-\(index)"), "scope \(scope)")
            for other in scopes.indices where other != index {
                #expect(try await store.get("only-\(other)", in: scope) == nil, "scope \(scope) sees a key of \(scopes[other])")
            }
            let page = try await store.scan(prefix: "", after: nil, limit: 100, in: scope)
            #expect(page.entries.map(\.key) == byteOrdered(["shared", "only-\(index)"]), "scan of \(scope) crosses scopes")
            #expect(page.next == nil)
            let onlyPrefix = try await store.scan(prefix: "only-", after: nil, limit: 100, in: scope)
            #expect(onlyPrefix.entries == [KeyValueEntry(key: "only-\(index)", value: bytes("own-\(index)"))])
        }
        // Deleting in one scope leaves the others alone; so do compareAndSet and increment.
        #expect(try await store.delete("shared", in: scopes[0]) == true)
        #expect(try await store.get("shared", in: scopes[1]) == bytes("value-1"))
        #expect(try await store.compareAndSet("shared", expected: nil, new: bytes("fresh"), ttl: nil, in: scopes[0]))
        #expect(try await store.get("shared", in: scopes[3]) == bytes("value-3"))
        #expect(try await store.increment("counter", by: 5, ttl: nil, in: scopes[3]) == 5)
        #expect(try await store.increment("counter", by: 1, ttl: nil, in: scopes[4]) == 1)
        #expect(try await store.get("counter", in: scopes[0]) == nil)
    }

    // MARK: - Expiry

    /// Runs an expiry check in a scope of its own per attempt: the steps before the check's first
    /// expectation must finish within the TTL, else the attempt is repeated (see ``withinWindow``).
    static func withTTLWindow(_ store: any KeyValueStore, sourceLocation: SourceLocation = #_sourceLocation,
                              _ attempt: (_ scope: KeyValueScope, _ other: KeyValueScope, _ inTime: TimeWindow) async throws -> Bool) async throws {
        try await withinWindow(ttl, sourceLocation: sourceLocation, retry: {
            // Let the earlier attempt's keys expire and reclaim them, so counts start from zero.
            try await Task.sleep(for: pastTTL)
            _ = try await store.purgeExpired()
        }) { number, inTime in
            try await attempt(KeyValueScope(tenant: scope.tenant, core: scope.core, scope: "ttl-\(number)"),
                              KeyValueScope(tenant: "tenant-b", core: "core-9", scope: "idempotency-\(number)"), inTime)
        }
    }

    static func ttlExpires(_ store: any KeyValueStore) async throws {
        try await withTTLWindow(store) { scope, _, inTime in
            try await store.put("session", bytes("s"), ttl: ttl, in: scope)
            try await store.put("forever", bytes("f"), in: scope)
            let before = try await store.get("session", in: scope)
            let listed = try await store.scan(prefix: "", after: nil, limit: 10, in: scope).entries.map(\.key)
            guard inTime() else { return false }
            #expect(before == bytes("s"))
            #expect(listed == ["forever", "session"])
            try await Task.sleep(for: pastTTL)
            #expect(try await store.get("session", in: scope) == nil)
            #expect(try await store.get("forever", in: scope) == bytes("f"))
            // An expired key is not a live value: delete answers false.
            #expect(try await store.delete("session", in: scope) == false)
            return true
        }
    }

    static func expiredKeysAreAbsentEverywhere(_ store: any KeyValueStore) async throws {
        try await withTTLWindow(store) { scope, _, inTime in
            try await store.put("b", bytes("10"), ttl: ttl, in: scope)
            try await store.put("cas", bytes("old"), ttl: ttl, in: scope)
            try await store.put("cas-match", bytes("old"), ttl: ttl, in: scope)
            try await store.put("counter", bytes("10"), ttl: ttl, in: scope)
            for key in ["a", "c", "d"] { try await store.put(key, bytes("1"), in: scope) }
            let listed = try await store.scan(prefix: "", after: nil, limit: 3, in: scope).entries.map(\.key)
            let incremented = try await store.increment("counter", by: 1, ttl: nil, in: scope)
            guard inTime() else { return false }
            #expect(listed == ["a", "b", "c"])
            #expect(incremented == 11)
            try await Task.sleep(for: pastTTL)

            // scan skips the expired key, also across a page boundary.
            let first = try await store.scan(prefix: "", after: nil, limit: 2, in: scope)
            #expect(first.entries.map(\.key) == ["a", "c"])
            let cursor = try #require(first.next)
            let second = try await store.scan(prefix: "", after: cursor, limit: 2, in: scope)
            #expect(second.entries.map(\.key) == ["d"])
            #expect(second.next == nil)
            #expect(try await store.scan(prefix: "b", after: nil, limit: 10, in: scope).entries.isEmpty)

            // compareAndSet: expired counts as absent.
            #expect(try await store.compareAndSet("cas-match", expected: bytes("old"), new: bytes("new"), ttl: nil, in: scope) == false)
            #expect(try await store.get("cas-match", in: scope) == nil)
            #expect(try await store.compareAndSet("cas", expected: nil, new: bytes("new"), ttl: nil, in: scope) == true)
            #expect(try await store.get("cas", in: scope) == bytes("new"))

            // increment: an expired counter restarts at delta.
            #expect(try await store.increment("counter", by: 3, ttl: nil, in: scope) == 3)
            #expect(try await store.get("counter", in: scope) == bytes("3"))
            return true
        }
    }

    static func putWithoutTTLRemovesExpiry(_ store: any KeyValueStore) async throws {
        try await withTTLWindow(store) { scope, _, inTime in
            try await store.put("k", bytes("temporary"), ttl: ttl, in: scope)
            try await store.put("k", bytes("permanent"), in: scope)
            // compareAndSet without TTL also makes the key permanent.
            try await store.put("c", bytes("temporary"), ttl: ttl, in: scope)
            let swapped = try await store.compareAndSet("c", expected: bytes("temporary"), new: bytes("permanent"), ttl: nil, in: scope)
            guard inTime() else { return false }
            #expect(swapped)
            try await Task.sleep(for: pastTTL)
            #expect(try await store.get("k", in: scope) == bytes("permanent"))
            #expect(try await store.get("c", in: scope) == bytes("permanent"))
            // The earlier expiry must not make purging remove the rewritten keys either.
            _ = try await store.purgeExpired()
            #expect(try await store.get("k", in: scope) == bytes("permanent"))
            #expect(try await store.get("c", in: scope) == bytes("permanent"))
            return true
        }
    }

    static func purgeExpiredRemovesOnlyExpired(_ store: any KeyValueStore) async throws {
        try await withTTLWindow(store) { scope, other, inTime in
            try await store.put("gone-1", bytes("x"), ttl: ttl, in: scope)
            try await store.put("gone-2", bytes("x"), ttl: ttl, in: scope)
            try await store.put("gone-3", bytes("x"), ttl: ttl, in: other)
            try await store.put("live-ttl", bytes("y"), ttl: .seconds(60), in: scope)
            try await store.put("live", bytes("z"), in: other)
            let early = try await store.purgeExpired()
            guard inTime() else { return false }
            #expect(early == 0)
            try await Task.sleep(for: pastTTL)
            #expect(try await store.purgeExpired() == 3)
            #expect(try await store.purgeExpired() == 0)
            #expect(try await store.get("live-ttl", in: scope) == bytes("y"))
            #expect(try await store.get("live", in: other) == bytes("z"))
            #expect(try await store.get("gone-1", in: scope) == nil)
            #expect(try await store.scan(prefix: "", after: nil, limit: 10, in: scope).entries.map(\.key) == ["live-ttl"])
            // A purged key can be written again.
            try await store.put("gone-1", bytes("back"), in: scope)
            #expect(try await store.get("gone-1", in: scope) == bytes("back"))
            return true
        }
    }

    // MARK: - compareAndSet and increment

    static func compareAndSet(_ store: any KeyValueStore) async throws {
        // expected nil: only when absent.
        #expect(try await store.compareAndSet("k", expected: nil, new: bytes("one"), ttl: nil, in: scope) == true)
        #expect(try await store.get("k", in: scope) == bytes("one"))
        #expect(try await store.compareAndSet("k", expected: nil, new: bytes("two"), ttl: nil, in: scope) == false)
        #expect(try await store.get("k", in: scope) == bytes("one"))
        // Swap on match, nothing on mismatch.
        #expect(try await store.compareAndSet("k", expected: bytes("one"), new: bytes("two"), ttl: nil, in: scope) == true)
        #expect(try await store.get("k", in: scope) == bytes("two"))
        #expect(try await store.compareAndSet("k", expected: bytes("one"), new: bytes("three"), ttl: nil, in: scope) == false)
        #expect(try await store.get("k", in: scope) == bytes("two"))
        // A value equal to a prefix of the stored one is a mismatch.
        #expect(try await store.compareAndSet("k", expected: bytes("tw"), new: bytes("three"), ttl: nil, in: scope) == false)
        // An absent key does not match a value.
        #expect(try await store.compareAndSet("absent", expected: bytes("x"), new: bytes("y"), ttl: nil, in: scope) == false)
        #expect(try await store.get("absent", in: scope) == nil)
        // The empty value is present, not absent.
        try await store.put("empty", [], in: scope)
        #expect(try await store.compareAndSet("empty", expected: nil, new: bytes("y"), ttl: nil, in: scope) == false)
        #expect(try await store.compareAndSet("empty", expected: [], new: bytes("y"), ttl: nil, in: scope) == true)
        // new nil deletes.
        #expect(try await store.compareAndSet("k", expected: bytes("two"), new: nil, ttl: nil, in: scope) == true)
        #expect(try await store.get("k", in: scope) == nil)
        #expect(try await store.compareAndSet("k", expected: bytes("two"), new: nil, ttl: nil, in: scope) == false)
        // A swapped-in value with a TTL expires.
        try await withTTLWindow(store) { scope, _, inTime in
            let swapped = try await store.compareAndSet("lock", expected: nil, new: bytes("holder"), ttl: ttl, in: scope)
            let held = try await store.get("lock", in: scope)
            guard inTime() else { return false }
            #expect(swapped)
            #expect(held == bytes("holder"))
            try await Task.sleep(for: pastTTL)
            #expect(try await store.get("lock", in: scope) == nil)
            #expect(try await store.compareAndSet("lock", expected: nil, new: bytes("next"), ttl: nil, in: scope))
            return true
        }
    }

    static func increment(_ store: any KeyValueStore) async throws {
        #expect(try await store.increment("n", by: 5, ttl: nil, in: scope) == 5)
        #expect(try await store.get("n", in: scope) == bytes("5"))
        #expect(try await store.increment("n", by: 7, ttl: nil, in: scope) == 12)
        #expect(try await store.increment("n", by: -20, ttl: nil, in: scope) == -8)
        #expect(try await store.get("n", in: scope) == bytes("-8"))
        #expect(try await store.increment("n", by: 0, ttl: nil, in: scope) == -8)
        #expect(try await store.increment("negative-start", by: -3, ttl: nil, in: scope) == -3)
        // A value written as decimal text counts.
        try await store.put("text", bytes("41"), in: scope)
        #expect(try await store.increment("text", by: 1, ttl: nil, in: scope) == 42)
        // The extremes of the 64-bit range are reachable.
        try await store.put("edge", bytes(String(Int64.max - 1)), in: scope)
        #expect(try await store.increment("edge", by: 1, ttl: nil, in: scope) == Int64.max)
        try await store.put("low", bytes(String(Int64.min + 1)), in: scope)
        #expect(try await store.increment("low", by: -1, ttl: nil, in: scope) == Int64.min)
        // A TTL applies when increment creates the key...
        #expect(try await store.increment("windowed", by: 1, ttl: ttl, in: scope) == 1)
        // ...and not when the key exists.
        #expect(try await store.increment("n", by: 1, ttl: ttl, in: scope) == -7)
        try await Task.sleep(for: pastTTL)
        #expect(try await store.get("windowed", in: scope) == nil)
        #expect(try await store.get("n", in: scope) == bytes("-7"))
    }

    static func incrementRefusesBadValues(_ store: any KeyValueStore) async throws {
        for (index, text) in ["abc", "1.5", "", " 1", "12abc", "99999999999999999999"].enumerated() {
            let key = "bad-\(index)"
            try await store.put(key, bytes(text), in: scope)
            await #expect(throws: KeyValueError.notAnInteger(key: key), "value \(text.debugDescription)") {
                try await store.increment(key, by: 1, ttl: nil, in: scope)
            }
            #expect(try await store.get(key, in: scope) == bytes(text), "a refused increment changed the value")
        }
        try await store.put("max", bytes(String(Int64.max)), in: scope)
        await #expect(throws: KeyValueError.overflow(key: "max")) { try await store.increment("max", by: 1, ttl: nil, in: scope) }
        #expect(try await store.get("max", in: scope) == bytes(String(Int64.max)))
        try await store.put("min", bytes(String(Int64.min)), in: scope)
        await #expect(throws: KeyValueError.overflow(key: "min")) { try await store.increment("min", by: -1, ttl: nil, in: scope) }
        #expect(try await store.get("min", in: scope) == bytes(String(Int64.min)))
        #expect(try await store.increment("fresh", by: .max, ttl: nil, in: scope) == .max)
        await #expect(throws: KeyValueError.overflow(key: "fresh")) { try await store.increment("fresh", by: .max, ttl: nil, in: scope) }
    }

    static func incrementKeepsTTL(_ store: any KeyValueStore) async throws {
        try await withTTLWindow(store) { scope, _, inTime in
            try await store.put("rate", bytes("5"), ttl: ttl, in: scope)
            let first = try await store.increment("rate", by: 1, ttl: nil, in: scope)
            let second = try await store.increment("rate", by: 1, ttl: .seconds(60), in: scope)
            let value = try await store.get("rate", in: scope)
            guard inTime() else { return false }
            #expect(first == 6)
            #expect(second == 7)
            #expect(value == bytes("7"))
            try await Task.sleep(for: pastTTL)
            #expect(try await store.get("rate", in: scope) == nil)
            return true
        }
    }

    // MARK: - Scan

    static func scanPrefixInByteOrder(_ store: any KeyValueStore) async throws {
        let keys = ["b", "a", "B", "ä", "a/1", "a0", "ab", "a/2", "Z", "é", "a\u{1}", "~", "日本", "a 1"]
        for key in keys { try await store.put(key, bytes("v:" + key), in: scope) }
        let all = try await store.scan(prefix: "", after: nil, limit: 100, in: scope)
        #expect(all.entries.map { utf8($0.key) } == byteOrdered(keys).map(utf8))
        #expect(all.entries.allSatisfy { $0.value == bytes("v:" + $0.key) })
        #expect(all.next == nil)
        let prefixed = try await store.scan(prefix: "a", after: nil, limit: 100, in: scope)
        #expect(prefixed.entries.map { utf8($0.key) } == byteOrdered(keys.filter { $0.utf8.starts(with: "a".utf8) }).map(utf8))
        let slash = try await store.scan(prefix: "a/", after: nil, limit: 100, in: scope)
        #expect(slash.entries.map(\.key) == ["a/1", "a/2"])
        #expect(try await store.scan(prefix: "nothing", after: nil, limit: 100, in: scope).entries.isEmpty)
        // The prefix is matched by bytes: "a" is not a prefix of "ä".
        let umlaut = try await store.scan(prefix: "ä", after: nil, limit: 100, in: scope)
        #expect(umlaut.entries.map { utf8($0.key) } == [utf8("ä")])
    }

    static func scanPaginationCoversEveryKeyOnce(_ store: any KeyValueStore) async throws {
        let keys = (0..<10).map { String(format: "item-%02d", $0) }
        for key in keys.shuffled() { try await store.put(key, bytes(key), in: scope) }
        try await store.put("other", bytes("x"), in: scope)
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.scan(prefix: "item-", after: cursor, limit: 3, in: scope)
            #expect(page.entries.count <= 3)
            #expect(!page.entries.isEmpty, "a page was empty")
            seen += page.entries.map(\.key)
            if let next = page.next { #expect(next == page.entries.last?.key) }
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 20
        #expect(seen == keys)
        #expect(pages == 4)

        // When the last page is exactly full, following the cursor ends with no duplicates.
        var exact: [String] = []
        cursor = nil
        pages = 0
        repeat {
            let page = try await store.scan(prefix: "item-", after: cursor, limit: 5, in: scope)
            exact += page.entries.map(\.key)
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 20
        #expect(exact == keys)
    }

    static func scanAfterAndLimit(_ store: any KeyValueStore) async throws {
        let keys = ["k1", "k2", "k3", "k4", "k5"]
        for key in keys { try await store.put(key, bytes(key), in: scope) }
        // after is exclusive, whether or not it is a stored key.
        #expect(try await store.scan(prefix: "k", after: "k2", limit: 10, in: scope).entries.map(\.key) == ["k3", "k4", "k5"])
        #expect(try await store.scan(prefix: "k", after: "k25", limit: 10, in: scope).entries.map(\.key) == ["k3", "k4", "k5"])
        #expect(try await store.scan(prefix: "k", after: "k5", limit: 10, in: scope).entries.isEmpty)
        #expect(try await store.scan(prefix: "k", after: "z", limit: 10, in: scope).entries.isEmpty)
        // An `after` before the prefix starts at the prefix.
        #expect(try await store.scan(prefix: "k", after: "a", limit: 10, in: scope).entries.map(\.key) == keys)
        // limit bounds the page and sets the cursor.
        let limited = try await store.scan(prefix: "", after: nil, limit: 2, in: scope)
        #expect(limited.entries.map(\.key) == ["k1", "k2"])
        #expect(limited.next == "k2")
        let rest = try await store.scan(prefix: "", after: "k3", limit: 2, in: scope)
        #expect(rest.entries.map(\.key) == ["k4", "k5"])
        #expect(rest.next == nil)
        let exact = try await store.scan(prefix: "", after: nil, limit: 5, in: scope)
        #expect(exact.entries.count == 5)
        #expect(exact.next == nil)
    }

    // MARK: - Refusals

    static func invalidKeysAreRefused(_ store: any KeyValueStore) async throws {
        let longest = String(repeating: "k", count: KeyValueStoreLimits.maxKeyBytes)
        let tooLong = longest + "k"
        let multibyteTooLong = String(repeating: "é", count: KeyValueStoreLimits.maxKeyBytes / 2 + 1)  // 258 bytes, 129 characters
        func isInvalidKey(_ error: KeyValueError) -> Bool { if case .invalidKey = error { true } else { false } }

        for key in ["", "nul\u{0}inside", "\u{0}", tooLong, multibyteTooLong] {
            await expectThrows(KeyValueError.self, { try await store.get(key, in: scope) }, matching: isInvalidKey)
            await expectThrows(KeyValueError.self, { try await store.put(key, bytes("v"), in: scope) }, matching: isInvalidKey)
            await expectThrows(KeyValueError.self, { try await store.put(key, bytes("v"), ttl: ttl, in: scope) }, matching: isInvalidKey)
            await expectThrows(KeyValueError.self, { try await store.delete(key, in: scope) }, matching: isInvalidKey)
            await expectThrows(KeyValueError.self, { try await store.compareAndSet(key, expected: nil, new: bytes("v"), ttl: nil, in: scope) },
                               matching: isInvalidKey)
            await expectThrows(KeyValueError.self, { try await store.increment(key, by: 1, ttl: nil, in: scope) }, matching: isInvalidKey)
        }
        await expectThrows(KeyValueError.self, { try await store.scan(prefix: "a\u{0}", after: nil, limit: 10, in: scope) }, matching: isInvalidKey)
        // Scope parts with NUL are refused too: they would let one scope reach into another.
        for bad in [KeyValueScope(tenant: "t\u{0}", core: "c", scope: "s"), KeyValueScope(tenant: "t", core: "c\u{0}x", scope: "s"),
                    KeyValueScope(tenant: "t", core: "c", scope: "\u{0}")] {
            await expectThrows(KeyValueError.self, { try await store.put("k", bytes("v"), in: bad) }, matching: isInvalidKey)
            await expectThrows(KeyValueError.self, { try await store.get("k", in: bad) }, matching: isInvalidKey)
            await expectThrows(KeyValueError.self, { try await store.scan(prefix: "", after: nil, limit: 10, in: bad) }, matching: isInvalidKey)
        }
        // Nothing of the refused writes is visible.
        #expect(try await store.scan(prefix: "", after: nil, limit: 100, in: scope).entries.isEmpty)

        // The longest key is fine, and so is a key of spaces, slashes and unicode.
        for key in [longest, "a/b/../c", " ", "ключ 🔑"] {
            try await store.put(key, bytes("ok"), in: scope)
            #expect(try await store.get(key, in: scope) == bytes("ok"))
        }
        // Values over the limit are refused.
        let huge = [UInt8](repeating: 1, count: KeyValueStoreLimits.maxValueBytes + 1)
        await #expect(throws: KeyValueError.valueTooLarge(huge.count)) { try await store.put("huge", huge, in: scope) }
        #expect(try await store.get("huge", in: scope) == nil)
    }

    // MARK: - Concurrency

    static func concurrentIncrements(_ store: any KeyValueStore) async throws {
        let results = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<50 {
                group.addTask { try await store.increment("hits", by: 1, ttl: nil, in: scope) }
            }
            var results: [Int64] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(try await store.get("hits", in: scope) == bytes("50"))
        // Every increment saw a distinct intermediate value.
        #expect(results.sorted() == Array(1...50))
    }

    static func concurrentPuts(_ store: any KeyValueStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask { try await store.put("key-\(index)", bytes("value-\(index)"), in: scope) }
            }
            try await group.waitForAll()
        }
        for index in 0..<100 {
            #expect(try await store.get("key-\(index)", in: scope) == bytes("value-\(index)"))
        }
        var count = 0
        var cursor: String?
        repeat {
            let page = try await store.scan(prefix: "key-", after: cursor, limit: 40, in: scope)
            count += page.entries.count
            cursor = page.next
        } while cursor != nil
        #expect(count == 100)
    }
}
