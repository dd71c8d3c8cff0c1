import Appliance
import Hummingbird
import ListenerSupport
import Logging
import NIOCore
import Prometheus

/// The API prefix of every module route, as inside ScaiGrid.
public let moduleAPIPrefix = "/v1/modules/scaicore"

/// Builds the router with every route and middleware. Tests call it too.
public func buildRouter(appliance: Appliance, registry: PrometheusCollectorRegistry = .init()) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: MetricsMiddleware(registry: registry))
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ErrorMiddleware(health: appliance.health))
    SystemRoutes(appliance: appliance, registry: registry).register(on: router)
    let module = router.group(RouterPath(moduleAPIPrefix)).add(middleware: BearerAuthMiddleware(tokens: appliance.tokens))
    CoreRoutes(appliance: appliance).register(on: module)
    AvatarRoutes(appliance: appliance).register(on: module)
    AuditRoutes(appliance: appliance).register(on: module)
    EventRoutes(appliance: appliance).register(on: module)
    RunRoutes(appliance: appliance).register(on: module)
    CheckpointRoutes(appliance: appliance).register(on: module)
    NotificationRoutes(appliance: appliance).register(on: module)
    return router
}

/// Builds the HTTP application for an open appliance. `onServerRunning` receives the bound
/// address (its port is the real one when the configured port is 0). Connections keep to the
/// `http.*` limits; `registry` gets the metrics (and counts connections closed for breaking them).
public func buildApplication(
    appliance: Appliance, registry: PrometheusCollectorRegistry = .init(),
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let configuration = appliance.configuration
    return Application(
        router: buildRouter(appliance: appliance, registry: registry),
        server: .guardedHTTP1(limits: ConnectionLimits(configuration.httpLimits), onBreach: ConnectionMetrics.closed(listener: "api", in: registry)),
        configuration: .init(
            address: .hostname(configuration.httpHost, port: configuration.httpPort),
            serverName: "scaicore-appliance"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress) },
        logger: appliance.logger)
}
