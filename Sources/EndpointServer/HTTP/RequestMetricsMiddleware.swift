import Hummingbird
import PrometheusMetrics

/// Counts every request in `lambda_http_request_duration_seconds` by method and status,
/// refused ones included (it sits outside authentication).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: EndpointMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let began = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(method: MethodLabel.of(request.method), status: response.status.code, duration: ContinuousClock.now - began)
            return response
        } catch let error as any HTTPResponseError {
            metrics.request(method: MethodLabel.of(request.method), status: error.status.code, duration: ContinuousClock.now - began)
            throw error
        } catch {
            metrics.request(method: MethodLabel.of(request.method), status: 500, duration: ContinuousClock.now - began)
            throw error
        }
    }
}

/// Any token is a valid HTTP method, and every label value is a series kept for the
/// process's life: an unauthenticated client inventing methods would grow memory and the
/// /metrics page without bound. Methods outside this list count as `other`.
enum MethodLabel {
    static let labelled: Set<String> = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "QUERY"]

    static func of(_ method: HTTPRequest.Method) -> String {
        labelled.contains(method.rawValue) ? method.rawValue : "other"
    }
}
