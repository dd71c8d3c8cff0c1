import Hummingbird
import Logging

/// One log line per request (method, path, status, duration) on the request's logger, which
/// carries the request id that the response's `x-request-id` header shows. Server errors log at
/// `error`, everything else at `info`.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        context.logger.log(
            level: response.status.code >= 500 ? .error : .info,
            "\(request.method.rawValue) \(request.uri.path) \(response.status.code)",
            metadata: ["status": "\(response.status.code)", "duration_ms": "\((milliseconds * 1000).rounded() / 1000)"])
        return response
    }
}
