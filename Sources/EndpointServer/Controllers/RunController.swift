import EndpointCore
import Foundation
import Hummingbird
import Logging
import Runs

extension RunStatus: ResponseEncodable {}

/// Run routes: `POST /trace/start`, `GET /trace/running?path=`, `GET /traces/running/all`,
/// `GET /traces/finished`, `POST /trace/kill`.
struct RunController<Context: RequestContext> {
    let database: EndpointDatabase
    let supervisor: RunSupervisor
    let validator: TemplateValidator
    let maxLastingSeconds: Int
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("trace/start", use: start)
        group.get("trace/running", use: running)
        group.get("traces/running/all", use: allRunning)
        group.get("traces/finished", use: finished)
        group.post("trace/kill", use: kill)
    }

    struct StartResponse: ResponseEncodable {
        let thread: Int
        let filePath: String
    }

    /// Checks everything before anything runs: tracer type, lasting, the template (still
    /// valid: its binary may have changed since it was stored) and that every function
    /// exists in the binary (both read on `BinaryInspection`'s threads, with its
    /// deadline). Returns at once; the run goes on in the background.
    @Sendable func start(_ request: Request, context: Context) async throws -> StartResponse {
        let body: StartRequest.Checked
        do {
            body = try await JSONRequestBody.decode(StartRequest.self, from: request, maxBytes: maxBodyBytes).checked(maxLastingSeconds: maxLastingSeconds)
        } catch let error as FieldError {
            throw APIError.badRequest(error.message)
        }
        let tracer = body.tracer
        guard let stored = try await database.template(number: body.templateNumber) else {
            throw APIError.notFound("traceId: no template \(body.templateNumber)")
        }
        let template = stored.info
        guard template.tracerTypes.contains(tracer) else {
            throw APIError.badRequest("traceT: template \(body.templateNumber) may run with \(template.traceType.joined(separator: ", ")), not \(tracer.rawValue)")
        }
        let validator = self.validator, templateNumber = body.templateNumber
        let missing = try await BinaryInspection.run { () -> Result<[String], APIError> in
            do throws(TemplateValidationError) {
                try validator.validate(template)
            } catch {
                return .failure(.badRequest("template \(templateNumber) is no longer valid: \(error.message)"))
            }
            do throws(ELFFunctionSymbols.ReadError) {
                return .success(try ELFFunctionSymbols(path: template.process).missing(template.functions))
            } catch {
                return .failure(.badRequest("process: '\(template.process)' \(error.description)"))
            }
        }.get()
        guard missing.isEmpty else {
            throw APIError.badRequest("functions: not in \(template.process): \(missing.joined(separator: ", "))")
        }
        do {
            let started = try await supervisor.start(template: template, tracer: tracer, lastingSeconds: body.lastingSeconds)
            return StartResponse(thread: started.thread, filePath: started.filePath)
        } catch .tooManyRuns(let limit) {
            throw APIError(.tooManyRequests, "\(limit) traces are already running (max-concurrent-runs); stop one or retry later")
        } catch .tooManyUndelivered(let limit) {
            throw APIError(
                .serviceUnavailable,
                "\(limit) finished traces are still waiting for the platform to take their output (max-undelivered-runs); retry once the platform receives again",
                headers: [.retryAfter: "30"])
        } catch .cannotCreateFile(let reason) {
            context.logger.error("Cannot create a run file", metadata: ["error": "\(reason)"])
            throw APIError(.internalServerError, "cannot create the run file in trace-dir: \(reason)")
        } catch .database(let reason) {
            context.logger.error("Cannot record a run", metadata: ["error": "\(reason)"])
            throw APIError(.internalServerError, "cannot record the run in the database; see the endpoint's log")
        } catch .shuttingDown {
            throw APIError(.serviceUnavailable, "the endpoint is shutting down; no new traces")
        }
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
