/// A checkpoint's assignee: `user:<id>` or `role:<role>`.
public enum Assignee: Sendable, Equatable {
    case user(String)
    case role(String)

    /// `user:<id>` (1–195 characters of id) or `role:<role>`. Prefixes and lengths are taken on
    /// Unicode scalars, not on grapheme clusters (an id may start with a combining mark).
    public init?(_ text: String) {
        let scalars = text.unicodeScalars
        let rest = String(String.UnicodeScalarView(scalars.dropFirst(5)))
        if scalars.starts(with: "user:".unicodeScalars), scalars.count > 5, scalars.count <= 200 {
            self = .user(rest)
        } else if scalars.starts(with: "role:".unicodeScalars), let role = Role(rawValue: rest) {
            self = .role(role.rawValue)
        } else {
            return nil
        }
    }

    /// True when `principal` is this assignee (the user, or a holder of the role).
    public func includes(_ principal: Principal) -> Bool {
        switch self {
        case .user(let id): return principal.userID == id
        case .role(let role): return principal.role.rawValue == role
        }
    }
}
