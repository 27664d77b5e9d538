import EndpointStorage
import Foundation
import HostSystem
import Hummingbird
import Logging
import Runs
import TraceModel

extension RunStatus: ResponseEncodable {}

/// Run routes: `POST /trace/start`, `POST /analysis/start`, `GET /trace/running?path=`,
/// `GET /traces/running/all`, `GET /traces/finished`, `POST /trace/kill`. Both starts
/// end in one `RunRequest` for the one supervisor.
struct RunController<Context: RequestContext> {
    let supervisor: RunSupervisor
    /// The start rules: what a start's body must pass to become a run.
    let approval: RunApproval
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("trace/start", use: start)
        group.post("analysis/start", use: startAnalysis)
        group.get("trace/running", use: running)
        group.get("traces/running/all", use: allRunning)
        group.get("traces/finished", use: finished)
        group.post("trace/kill", use: kill)
    }

    struct StartResponse: ResponseEncodable {
        let thread: Int
        let filePath: String
    }

    /// A template's start: approved (`RunApproval`), then started; returns at once, the
    /// run goes on in the background.
    @Sendable func start(_ request: Request, context: Context) async throws -> StartResponse {
        let body = try await JSONRequestBody.decode(StartRequest.self, from: request, maxBytes: maxBodyBytes)
        let run: RunRequest
        do throws(StartRefusal) {
            run = try await approval.approve(body)
        } catch {
            throw refused(error, context: context)
        }
        return try await start(run, context: context)
    }

    /// An analysis start: approved (404 unknown, 400 a parameter or `lasting`, 409 not
    /// available on this host, then its binary and target as for a template), then the
    /// same supervisor.
    @Sendable func startAnalysis(_ request: Request, context: Context) async throws -> StartResponse {
        let body = try await JSONRequestBody.decode(AnalysisStartRequest.self, from: request, maxBytes: maxBodyBytes)
        let run: RunRequest
        do throws(AnalysisStartRefusal) {
            run = try await approval.approve(body)
        } catch {
            if case .start(let refusal) = error { throw refused(refusal, context: context) }
            throw APIError(answer: error.answer, message: error.message)
        }
        return try await start(run, context: context)
    }

    /// Starts an approved run.
    func start(_ run: RunRequest, context: Context) async throws(APIError) -> StartResponse {
        do throws(StartRefusal) {
            let started = try await supervisor.start(run)
            return StartResponse(thread: started.runNumber, filePath: started.filePath)
        } catch {
            throw refused(error, context: context)
        }
    }

    /// The answer to a refusal; the endpoint's own failures are logged with their detail.
    func refused(_ refusal: StartRefusal, context: Context) -> APIError {
        if let (message, reason) = refusal.logDetail { context.logger.error("\(message)", metadata: ["error": "\(reason)"]) }
        return APIError(refusal)
    }

    @Sendable func running(_ request: Request, context: Context) async throws -> RunStatus {
        guard let path = request.uri.queryParameters.get("path"), !path.isEmpty else {
            throw APIError.badRequest("path: the query parameter path=<filePath> is required")
        }
        guard let status = await supervisor.status(filePath: path) else {
            throw APIError.notFound("no running trace \(path.prefix(300))")
        }
        return status
    }

    @Sendable func allRunning(_ request: Request, context: Context) async throws -> [RunStatus] {
        await supervisor.activeRuns()
    }

    @Sendable func finished(_ request: Request, context: Context) async throws -> [RunStatus] {
        await supervisor.finishedRuns()
    }

    /// Answers `Killed` for any path, known or not, as the original did.
    @Sendable func kill(_ request: Request, context: Context) async throws -> Response {
        let body = try await JSONRequestBody.decode(KillRequest.self, from: request, maxBytes: maxBodyBytes)
        await supervisor.kill(filePath: body.killPath)
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "Killed")))
    }
}
