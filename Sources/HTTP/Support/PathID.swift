import Appliance

/// The `{id}` of a route's path, checked for its shape (`core_`, `run_`, `chk_` and 26 Crockford
/// base-32 characters): a malformed id is a 404, like a missing one.
enum PathID {
    static func core(_ context: AppRequestContext) throws -> String { try id(context, prefix: "core", naming: "Core") }
    static func run(_ context: AppRequestContext) throws -> String { try id(context, prefix: "run", naming: "run") }
    static func checkpoint(_ context: AppRequestContext) throws -> String { try id(context, prefix: "chk", naming: "checkpoint") }

    private static func id(_ context: AppRequestContext, prefix: String, naming what: String) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard Identifier.isWellFormed(id, prefix: prefix) else { throw ApplianceError.notFound(what, id: String(id.prefix(64))) }
        return id
    }
}
