#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1

/// Tells a client that went away from a failure of the server: a request whose connection was
/// closed or reset before its body was read (or its response written) is the client's doing.
/// Both listeners log it at info level, count it under status 499 ("client closed request") and
/// store nothing of it.
public enum ClientDisconnect {
    /// The status such a request is counted and logged under.
    public static let status = 499

    /// True when `error` means the connection ended under the request.
    public static func isClientGone(_ error: any Error) -> Bool {
        switch error {
        case let error as HTTPParserError:
            return error == .invalidEOFState
        case let error as ChannelError:
            switch error {
            case .ioOnClosedChannel, .eof, .outputClosed, .inputClosed, .alreadyClosed: return true
            default: return false
            }
        case let error as IOError:
            return [ECONNRESET, EPIPE, ETIMEDOUT].contains(error.errnoCode)
        case is CancellationError:
            return true
        default:
            return false
        }
    }
}
