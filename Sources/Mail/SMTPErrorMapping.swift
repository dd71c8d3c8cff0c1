import NIOCore
import NIOPosix
import NIOSSL

/// Sorts errors from NIO and NIOSSL into ``SMTPError`` kinds.
enum SMTPErrorMapping {
    /// The ``SMTPError`` for `error`; `action` (such as "connecting to host:port") prefixes the message.
    static func map(_ error: any Error, while action: String? = nil) -> SMTPError {
        if let error = error as? SMTPError {
            return error
        }
        let prefix = action.map { "\($0): " } ?? ""
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout(let amount):
                return .timeout("\(prefix)no connection within \(Double(amount.nanoseconds) / 1_000_000_000) s")
            case .ioOnClosedChannel, .alreadyClosed, .eof, .inputClosed, .outputClosed:
                return .connect("\(prefix)the connection to the relay was closed")
            default:
                return .connect("\(prefix)\(error)")
            }
        }
        if let error = error as? NIOSSLError {
            if case .uncleanShutdown = error {
                return .connect("\(prefix)the relay closed the TLS connection")
            }
            return .tls("\(prefix)\(error)")
        }
        if error is NIOSSLExtraError || error is BoringSSLError {
            return .tls("\(prefix)\(error)")
        }
        if let error = error as? NIOConnectionError {
            let reasons = error.connectionErrors.map { "\($0.target): \($0.error)" }
            let dns = [error.dnsAError, error.dnsAAAAError].compactMap { $0.map { "\($0)" } }
            let details = (reasons + dns).joined(separator: "; ")
            return .connect(
                "\(prefix)could not connect to \(error.host):\(error.port)" + (details.isEmpty ? "" : " (\(details))"))
        }
        return .connect("\(prefix)\(error)")
    }
}
