import Foundation
import Logging
import Storage

/// Sends one e-mail. The SMTP adapter is ``SMTPMailSender``.
public protocol MailSender: Sendable {
    /// Throws ``MailSendError`` on failure, saying whether a retry may succeed.
    func send(from: String, to: [String], subject: String, body: String, messageID: String) async throws(MailSendError)
}

/// A failed send: why, and whether retrying later may succeed.
public struct MailSendError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public let isTransient: Bool

    public init(_ description: String, isTransient: Bool) {
        self.description = description
        self.isTransient = isTransient
    }
}

/// Works through the notification outbox: mails each `pending` notification, marks it `sent`,
/// or retries it with backoff (30 s doubling up to an hour, at most 10 attempts; a permanent
/// refusal fails it at once). Sending happens here only, never in a request or a run.
public struct Notifier: Sendable {
    public static let maxAttempts = 10
    let store: any RelationalStore
    let sender: (any MailSender)?
    let from: String
    let logger: Logger
    let now: Now
    let pollInterval: Duration

    public init(store: any RelationalStore, sender: (any MailSender)?, from: String, logger: Logger, now: @escaping Now, pollInterval: Duration = .seconds(1)) {
        self.store = store
        self.sender = sender
        self.from = from
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
    }

    /// Sends until cancelled. Without a sender (no relay) there is nothing to do.
    public func run() async {
        guard sender != nil else { return }
        while !Task.isCancelled {
            do {
                _ = try await sendDue()
            } catch {
                logger.error("the notifier could not read its outbox; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// Sends every notification that is due now; answers how many were sent.
    public func sendDue() async throws -> Int {
        guard let sender else { return 0 }
        let stamp = Timestamp.string(now())
        let due = try await store.read { db in try NotificationOutbox.due(db, at: stamp, limit: 50) }
        var sent = 0
        for notification in due {
            let failure: MailSendError?
            do throws(MailSendError) {
                try await sender.send(from: from, to: notification.to, subject: notification.subject, body: notification.body,
                                      messageID: "\(notification.id)@scaicore")
                failure = nil
            } catch {
                failure = error
            }
            if failure == nil {
                let at = Timestamp.string(now())
                try await store.write { db in try NotificationOutbox.markSent(db, id: notification.id, at: at) }
                sent += 1
            }
            if let error = failure {
                let attempts = notification.attempts + 1
                let retry = error.isTransient && attempts < Self.maxAttempts
                let delay = min(3600, 30 * (1 << min(attempts - 1, 10)))
                let retryAt = retry ? Timestamp.string(now().addingTimeInterval(TimeInterval(delay))) : nil
                try await store.write { db in
                    try NotificationOutbox.markAttemptFailed(db, id: notification.id, error: error.description, retryAt: retryAt)
                }
                logger.warning("a notification e-mail failed", metadata: [
                    "notification_id": "\(notification.id)", "attempt": "\(attempts)", "retry_at": "\(retryAt ?? "never")", "error": "\(error)",
                ])
            }
        }
        return sent
    }
}
