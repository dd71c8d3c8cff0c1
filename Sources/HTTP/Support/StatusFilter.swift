import Appliance

/// The `status` query parameter of list routes: a comma-separated list of one vocabulary.
enum StatusFilter {
    /// The statuses named in `text`; 400 naming the allowed values for an unknown one.
    static func parse<S: RawRepresentable & CaseIterable>(_ text: String?, _: S.Type) throws -> [S] where S.RawValue == String {
        var statuses: [S] = []
        for name in (text ?? "").split(separator: ",") where !name.isEmpty {
            guard let status = S(rawValue: String(name)) else {
                throw ApplianceError(.badRequest, code: "invalid_query", "unknown status '\(name)'; use \(S.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            statuses.append(status)
        }
        return statuses
    }
}
