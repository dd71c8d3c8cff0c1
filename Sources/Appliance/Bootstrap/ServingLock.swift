import Foundation

/// The exclusive claim of one serving process on a data directory: an `flock` on
/// `<data_dir>/appliance.lock`, held until the process ends (the kernel releases it on any exit,
/// SIGKILL included). A second `serve` on the same directory is refused instead of removing files
/// the first one is about to index. Admin commands do not take it: they may run beside a server.
final class ServingLock: Sendable {
    private let descriptor: Int32

    init(directory: URL) throws {
        let path = directory.appendingPathComponent("appliance.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ApplianceError(.unavailable, code: "data_dir_unusable", "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ApplianceError(.unavailable, code: "data_dir_in_use",
                                 "another scaicore-appliance is serving from \(directory.path) (it holds \(path)); stop it first or choose another data directory")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
