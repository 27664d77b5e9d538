import Hummingbird

/// `GET /metrics`: Prometheus text, without authentication like the endpoint's (counts
/// and sizes only: no name, path or secret in it).
struct MetricsRoutes {
    let platform: Platform

    func add(to router: Router<PlatformContext>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: await platform.metrics.text(database: platform.database)))
            )
        }
    }
}

/// Counts every request answered 4xx or 5xx, by status (`PlatformMetrics.refused`).
struct RefusalCounting: RouterMiddleware {
    typealias Context = PlatformContext
    let metrics: PlatformMetrics

    func handle(_ request: Request, context: PlatformContext, next: (Request, PlatformContext) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            if response.status.code >= 400 { metrics.refused(status: response.status.code) }
            return response
        } catch {
            metrics.refused(status: (error as? any HTTPResponseError)?.status.code ?? 500)
            throw error
        }
    }
}
