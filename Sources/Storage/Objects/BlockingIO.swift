import Dispatch

/// Runs blocking file-system work (fsync, rename, copying files) off Swift's cooperative thread
/// pool, which has only as many threads as cores: an fsync that takes milliseconds there would
/// stall every request of the process. GCD grows this queue's threads as work blocks.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "scaicore.storage.blocking-io", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
