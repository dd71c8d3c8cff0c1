import Mail

/// Sends notification e-mail through the configured SMTP relay (`notify.smtp.*`), one
/// connection per mail. SMTP's own classification decides what is retried: connection failures,
/// timeouts and 4xx replies are transient; 5xx replies, refused credentials and TLS problems are not.
struct SMTPMailSender: MailSender {
    let relay: SMTPRelay

    init(_ settings: ApplianceConfiguration.SMTPSettings) {
        relay = SMTPRelay(
            host: settings.host, port: settings.port, security: SMTPRelay.Security(rawValue: settings.security) ?? .startTLS,
            username: settings.username, password: settings.password, verifyCertificates: settings.verifyCertificates)
    }

    func send(from: String, to: [String], subject: String, body: String, messageID: String) async throws(MailSendError) {
        let message = MailMessage(from: from, to: to, subject: subject, textBody: body, messageID: messageID)
        do {
            try await SMTPClient(relay: relay).send(message)
        } catch {
            throw MailSendError(error.description, isTransient: error.isTransient)
        }
    }
}
