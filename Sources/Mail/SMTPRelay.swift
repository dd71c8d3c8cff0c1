import Foundation

/// Where and how to reach the SMTP relay the operator configured.
///
/// A relay is plain data: it is validated when ``SMTPClient/send(_:)`` uses it, not here.
public struct SMTPRelay: Sendable {
    /// How the connection to the relay is protected.
    public enum Security: String, Sendable {
        /// No encryption at all. Credentials are then sent only to a relay on loopback.
        case none
        /// Plain connection upgraded with `STARTTLS` before anything else is sent (usually port 587).
        /// The upgrade is required: a relay that does not offer it is refused.
        case startTLS = "starttls"
        /// Implicit TLS from the first byte ("SMTPS", usually port 465).
        case tls
    }

    /// The relay's host name or IP address literal.
    public var host: String
    /// The relay's TCP port.
    public var port: Int
    /// How the connection is protected.
    public var security: Security
    /// The user name for `AUTH`. Set both this and ``password``, or neither (no `AUTH`).
    public var username: String?
    /// The password for `AUTH`. Set both this and ``username``, or neither (no `AUTH`).
    public var password: String?
    /// The name this client announces in `EHLO`/`HELO`.
    public var heloName: String
    /// Whether the relay's certificate chain and host name are verified. `false` accepts self-signed relays.
    public var verifyCertificates: Bool
    /// The longest wait for the connection to be established and for each reply of the relay.
    public var timeout: Duration

    /// Creates a relay description.
    /// - Parameters:
    ///   - host: The relay's host name or IP address literal.
    ///   - port: The relay's TCP port (587 by default: submission with STARTTLS).
    ///   - security: How the connection is protected (STARTTLS by default).
    ///   - username: The user name for `AUTH`, if the relay needs one.
    ///   - password: The password for `AUTH`, if the relay needs one.
    ///   - heloName: The name announced in `EHLO`/`HELO`.
    ///   - verifyCertificates: Whether the relay's certificate is verified.
    ///   - timeout: The longest wait for the connection and for each reply.
    public init(
        host: String,
        port: Int = 587,
        security: Security = .startTLS,
        username: String? = nil,
        password: String? = nil,
        heloName: String = "localhost",
        verifyCertificates: Bool = true,
        timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.heloName = heloName
        self.verifyCertificates = verifyCertificates
        self.timeout = timeout
    }
}
