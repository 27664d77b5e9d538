import EndpointCore
import Hummingbird

/// Counts every request in `lambda_http_request_duration_seconds` by method and status,
/// refused ones included (it sits outside authentication).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: EndpointMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let began = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - began)
            return response
        } catch let error as any HTTPResponseError {
            metrics.request(method: request.method.rawValue, status: error.status.code, duration: ContinuousClock.now - began)
            throw error
        } catch {
            metrics.request(method: request.method.rawValue, status: 500, duration: ContinuousClock.now - began)
            throw error
        }
    }
}
