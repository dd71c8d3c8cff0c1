import Foundation
import Logging
import Storage
import Synchronization

/// One open appliance: its configuration, its stores and its domain services. The HTTP layer
/// and the CLI both start from here.
public final class Appliance: Sendable {
    public let configuration: ApplianceConfiguration
    public let store: any RelationalStore
    public let tenants: TenantRepository
    public let tokens: TokenService
    public let cores: CoreService
    public let engines: EngineRegistry
    /// Core memory, grain directory and object store (embedded: LMDB and local files).
    public let stores: EmbeddedStores
    /// Access keys of the S3 listener.
    public let s3Keys: S3KeyService
    /// The appliance's own objects: avatars and checkpoint state.
    public let internalObjects: InternalObjects
    public let avatars: CoreAvatars
    /// Events, runs, checkpoints (docs/runtime.md).
    public let runtime: Runtime
    /// Mails checkpoint notifications through the configured relay.
    public let notifier: Notifier
    /// Stores that refused writes (a full disk, I/O errors), for `/readyz` and the metrics.
    public let health: StorageHealth
    /// What `/readyz` answers.
    public let readiness: Readiness
    public let logger: Logger
    private let runMarker: URL
    private let directory: URL
    private let servingLock = Mutex<ServingLock?>(nil)

    /// What the first start of a data directory created, shown once to the operator.
    public struct FirstStart: Sendable {
        public let tenant: Tenant
        public let adminToken: String
    }

    /// Opens the data directory (creating it), opens the relational store and applies
    /// migrations. Does not start Cores: call ``start()`` for that.
    public init(configuration: ApplianceConfiguration, logger: Logger, now: @escaping Now = { Date() }) throws {
        self.configuration = configuration
        self.logger = logger
        let directory = URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ApplianceError(.unavailable, code: "data_dir_unusable", "cannot create data directory \(directory.path): \(error.localizedDescription)")
        }
        self.directory = directory
        runMarker = directory.appendingPathComponent("appliance.running")
        store = try SQLiteStore(path: configuration.sqlitePath, options: configuration.sqliteOptions)
        tenants = TenantRepository(store: store, now: now)
        tokens = TokenService(store: store, now: now)
        engines = EngineRegistry()
        cores = CoreService(store: store, engines: engines, maxIRBytes: configuration.maxIRBytes, now: now)
        stores = try EmbeddedStores(configuration: configuration, logger: logger)
        s3Keys = S3KeyService(store: store, sealer: try SecretSealer(directory: configuration.keyDirectory), now: now)
        internalObjects = InternalObjects(store: stores.objects)
        avatars = CoreAvatars(cores: cores, objects: internalObjects)
        health = StorageHealth(now: now)
        runtime = Runtime(store: store, engines: engines, stores: stores, objects: internalObjects,
                          configuration: configuration, health: health, logger: logger, now: now)
        readiness = Readiness(store: store, memory: stores.memory, objects: internalObjects, health: health,
                              dataDirectory: configuration.dataDirectory, now: now)
        notifier = Notifier(store: store, sender: configuration.smtp.map(SMTPMailSender.init), from: configuration.notifyFrom,
                            logger: logger, now: now)
    }

    /// Applies schema migrations. Safe to call on every start.
    public func migrate() async throws {
        let applied = try await Migrator(Schema.migrations).migrate(store) { Timestamp.string(Date()) }
        if !applied.isEmpty { logger.info("applied schema migrations", metadata: ["versions": "\(applied)"]) }
    }

    /// Creates the default tenant and an admin token when the database has no tenant yet.
    public func bootstrapIfEmpty() async throws -> FirstStart? {
        guard try await tenants.list().isEmpty else { return nil }
        let tenant = try await tenants.create(slug: "default", name: "Default tenant")
        let (_, secret) = try await tokens.issue(tenantID: tenant.id, userName: "admin", role: .admin, name: "first-start admin token", expiresAt: nil)
        return FirstStart(tenant: tenant, adminToken: secret)
    }

    /// Serving begins: claims the data directory (one serving process per directory), removes what
    /// interrupted writes left, recovers Cores (after an unclean stop when the run marker is still
    /// there) and writes the run marker.
    public func start() async throws {
        let lock = try ServingLock(directory: directory)
        servingLock.withLock { $0 = lock }
        let unclean = FileManager.default.fileExists(atPath: runMarker.path)
        if unclean { logger.warning("the previous run did not shut down cleanly; recovering Cores") }
        let leftovers = try stores.removeLeftovers()
        if leftovers > 0 { logger.notice("object store: removed files of interrupted writes", metadata: ["count": "\(leftovers)"]) }
        try await internalObjects.ensureBucket()
        let recovered = try await cores.recoverAtBoot(uncleanShutdown: unclean)
        if !recovered.isEmpty { logger.info("Cores recovered", metadata: ["count": "\(recovered.count)"]) }
        try await runtime.start()
        guard FileManager.default.createFile(atPath: runMarker.path, contents: Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8)) else {
            throw ApplianceError(.unavailable, code: "data_dir_unusable", "cannot write \(runMarker.path)")
        }
    }

    /// Serving has ended cleanly: detaches engines, closes the stores, removes the run marker.
    public func shutdown() async {
        await runtime.dispatcher.drain(timeout: .seconds(10))
        await engines.detachAll()
        runtime.broadcaster.finishAll()
        await store.close()
        try? FileManager.default.removeItem(at: runMarker)
        servingLock.withLock { $0 = nil }
    }

    /// Lets go of the data directory as a killed process would (the run marker stays): for tests
    /// that simulate a crash inside one process.
    package func abandonServingLock() {
        servingLock.withLock { $0 = nil }
    }
}
