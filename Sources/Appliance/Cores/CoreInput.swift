import CoreEngine

/// What a client sends to create a Core.
public struct CoreDraft: Sendable {
    public var name: String
    public var slug: String?
    public var ir: JSONValue
    public var runtimeConfig: JSONValue
    public var identityMode: IdentityMode
    public var plugins: [String]

    public init(name: String, slug: String? = nil, ir: JSONValue, runtimeConfig: JSONValue = .object([:]),
                identityMode: IdentityMode = .service, plugins: [String] = []) {
        self.name = name
        self.slug = slug
        self.ir = ir
        self.runtimeConfig = runtimeConfig
        self.identityMode = identityMode
        self.plugins = plugins
    }

    /// Reads a create request body. Throws 400 naming every bad or unknown field.
    public init(json: JSONValue) throws(ApplianceError) {
        var reader = FieldReader(json)
        let fields = CoreInputRules.read(&reader, required: true)
        try reader.finish()
        guard let name = fields.name, let ir = fields.ir else { throw ApplianceError.invalidRequest(reader.problems) }
        self.init(name: name, slug: fields.slug, ir: ir, runtimeConfig: fields.runtimeConfig ?? .object([:]),
                  identityMode: fields.identityMode ?? .service, plugins: fields.plugins ?? [])
    }
}

/// What a client sends to change a Core: only the fields present change.
public struct CorePatch: Sendable {
    public var name: String?
    public var slug: String?
    public var ir: JSONValue?
    public var runtimeConfig: JSONValue?
    public var identityMode: IdentityMode?
    public var plugins: [String]?
    /// The `version` the client last saw, when it sent one (409 on mismatch).
    public var expectedVersion: Int64?

    public init(name: String? = nil, slug: String? = nil, ir: JSONValue? = nil, runtimeConfig: JSONValue? = nil,
                identityMode: IdentityMode? = nil, plugins: [String]? = nil, expectedVersion: Int64? = nil) {
        self.name = name
        self.slug = slug
        self.ir = ir
        self.runtimeConfig = runtimeConfig
        self.identityMode = identityMode
        self.plugins = plugins
        self.expectedVersion = expectedVersion
    }

    /// Reads a PATCH body. Throws 400 naming every bad or unknown field.
    public init(json: JSONValue) throws(ApplianceError) {
        var reader = FieldReader(json)
        self = CoreInputRules.read(&reader, required: false)
        expectedVersion = reader.integer("version")
        try reader.finish()
    }

    public var isEmpty: Bool {
        name == nil && slug == nil && ir == nil && runtimeConfig == nil && identityMode == nil && plugins == nil
    }
}

/// Field rules shared by create and change.
enum CoreInputRules {
    /// Reads the fields a create and a change share; `required` makes `name` and `ir` required.
    static func read(_ reader: inout FieldReader, required: Bool) -> CorePatch {
        let fields = CorePatch(
            name: reader.string("name", required: required, maxLength: 200), slug: reader.string("slug", maxLength: 63),
            ir: reader.object("ir", required: required), runtimeConfig: reader.object("runtime_config"),
            identityMode: identityMode(&reader), plugins: reader.stringArray("plugins"))
        check(slug: fields.slug, plugins: fields.plugins, environmentIn: &reader)
        if let name = fields.name, IRNames.containsControlCharacter(name) { reader.problem("name", "must not contain control characters") }
        if let config = fields.runtimeConfig { RuntimeConfig.read(config, into: &reader) }
        return fields
    }

    static func identityMode(_ reader: inout FieldReader) -> IdentityMode? {
        guard let text = reader.string("identity_mode") else { return nil }
        guard let mode = IdentityMode(rawValue: text) else {
            reader.problem("identity_mode", "must be one of \(IdentityMode.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return mode
    }

    static func check(slug: String?, plugins: [String]?, environmentIn reader: inout FieldReader) {
        if let slug, !Slug.isValid(slug) { reader.problem("slug", "must match \(Slug.pattern)") }
        for (index, plugin) in (plugins ?? []).enumerated() where !Slug.isValid(plugin) {
            reader.problem("plugins[\(index)]", "plugin names must match \(Slug.pattern)")
        }
        if reader.has("environment") {
            _ = reader.value("environment")
            reader.problem("environment", "environment values need the secrets vault, which this version does not have yet; they are never stored in plain text")
        }
    }
}
