/// What notifications need from the configuration.
public struct NotificationSettings: Sendable {
    /// True when an SMTP relay is configured (`notify.smtp.host`).
    public let relayConfigured: Bool
    /// Base of links in mails (`notify.public_base_url`).
    public let publicBaseURL: String

    public init(relayConfigured: Bool, publicBaseURL: String) {
        self.relayConfigured = relayConfigured
        self.publicBaseURL = publicBaseURL
    }

    func checkpointURL(_ id: String) -> String {
        var base = publicBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/v1/modules/scaicore/checkpoints/\(id)"
    }
}
