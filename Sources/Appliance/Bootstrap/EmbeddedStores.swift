import Foundation
import Logging
import Storage

/// The stores beside the relational one, on their embedded defaults: one LMDB environment in
/// `<data_dir>/lmdb` holding Core memory, the grain directory and the object index, and object
/// files in `<data_dir>/objects`.
public struct EmbeddedStores: Sendable {
    public let lmdb: LMDBEnvironment
    public let memory: any KeyValueStore
    public let grains: any GrainDirectory
    public let objects: any ObjectStore
    let localObjects: LocalObjectStore

    /// Opens the stores. Crash leftovers of the object store are not touched here (a CLI may open
    /// the directory beside a running server); ``Appliance/start()`` removes them.
    init(configuration: ApplianceConfiguration, logger: Logger) throws {
        var options = LMDBEnvironment.Options(mapSize: configuration.lmdbMapSize)
        options.maxMapSize = max(options.maxMapSize, configuration.lmdbMapSize)
        let databases = LMDBKeyValueStore.databases + LMDBGrainDirectory.databases + LocalObjectStore.databases
        do {
            lmdb = try LMDBEnvironment(path: configuration.lmdbDirectory, databases: databases, options: options, logger: logger)
        } catch {
            throw ApplianceError(.unavailable, code: "lmdb_unusable", "cannot open the LMDB environment in \(configuration.lmdbDirectory): \(error)")
        }
        memory = LMDBKeyValueStore(environment: lmdb)
        grains = LMDBGrainDirectory(environment: lmdb)
        localObjects = try LocalObjectStore(directory: configuration.objectDirectory, environment: lmdb, removeLeftovers: false, logger: logger)
        objects = localObjects
    }

    /// Removes what an interrupted write left in the object store (serving process only, before serving).
    func removeLeftovers() throws -> Int {
        try localObjects.removeLeftovers()
    }
}
