import Hummingbird
import PrometheusMetrics

/// `GET /metrics`: Prometheus text format. Authenticated like every route unless
/// `metrics-open: true`.
struct MetricsController<Context: RequestContext> {
    let metrics: EndpointMetrics

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.text()))
            )
        }
    }
}
