import Foundation

/// The relay's user name and password, and their SASL encodings (RFC 4616 PLAIN, and LOGIN).
struct SMTPCredentials: Sendable {
    var username: String
    var password: String

    /// The relay's credentials: nil when neither is set.
    /// - Throws: ``SMTPError/Kind/authentication`` when only one is set or either holds a NUL.
    init?(relay: SMTPRelay) throws(SMTPError) {
        switch (relay.username, relay.password) {
        case (nil, nil):
            return nil
        case (let username?, let password?):
            guard !username.utf8.contains(0), !password.utf8.contains(0) else {
                throw .authentication("the user name or password contains a NUL character")
            }
            self.username = username
            self.password = password
        default:
            throw .authentication("only one of user name and password is set")
        }
    }

    /// The initial response for `AUTH PLAIN`: base64 of NUL user NUL password (no authorization identity).
    var plainResponse: String {
        Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
    }

    /// The user name as sent after the first `AUTH LOGIN` challenge.
    var loginUsername: String { Data(username.utf8).base64EncodedString() }

    /// The password as sent after the second `AUTH LOGIN` challenge.
    var loginPassword: String { Data(password.utf8).base64EncodedString() }
}
