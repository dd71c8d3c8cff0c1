import Appliance
import CoreEngine
import Hummingbird
import Prometheus

/// Unauthenticated operational routes: liveness, readiness, Prometheus metrics, the OpenAPI document.
struct SystemRoutes {
    let appliance: Appliance
    let registry: PrometheusCollectorRegistry
    private let refusedWrites = RefusedWritesMetric()

    func register(on router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in JSONBody.response(["status": "ok", "version": .string(ApplianceVersion.current)]) }
        router.get("readyz") { _, _ in
            let report = await appliance.readiness.check()
            return JSONBody.response(report.body, status: report.ready ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { _, _ in
            let counts = try await appliance.cores.countByStatus()
            for status in CoreStatus.allCases {
                registry.makeGauge(descriptor: .init(metricName: "scaicore_cores", unitName: "", helpText: "Cores by status"), labels: [("status", status.rawValue)])
                    .set(to: Double(counts[status] ?? 0))
            }
            let dispatcher = appliance.runtime.dispatcher
            registry.makeGauge(descriptor: .init(metricName: "scaicore_runs_waiting", unitName: "",
                                                 helpText: "Runs accepted and not yet executed, or executing (bounded by runtime.max_queued_runs)"))
                .set(to: Double(await dispatcher.queued))
            registry.makeGauge(descriptor: .init(metricName: "scaicore_runs_executing", unitName: "", helpText: "Runs executing now"))
                .set(to: Double(await dispatcher.executingCount))
            refusedWrites.update(from: appliance.health, in: registry)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("openapi.json") { _, _ in JSONBody.response(OpenAPIDocument.document) }
    }
}
