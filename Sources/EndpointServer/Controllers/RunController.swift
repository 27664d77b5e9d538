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

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("trace/start", use: start)
        group.get("trace/running", use: running)
        group.get("traces/running/all", use: allRunning)
        group.get("traces/finished", use: finished)
        group.post("trace/kill", use: kill)
    }

    struct StartRequest: Decodable {
        let traceT: String
        let traceId: Int64
        let lasting: Int64

        enum CodingKeys: String, CodingKey { case traceT, traceId, lasting }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.traceT = try container.decode(String.self, forKey: .traceT)
            self.traceId = try container.decodeWholeNumber(forKey: .traceId)
            self.lasting = try container.decodeWholeNumber(forKey: .lasting)
        }
    }

    struct StartResponse: ResponseEncodable {
        let thread: Int
        let filePath: String
    }

    /// Checks everything before anything runs: tracer type, lasting, the template (still
    /// valid: its binary may have changed since it was stored) and that every function
    /// exists in the binary. Returns at once; the run goes on in the background.
    @Sendable func start(_ request: Request, context: Context) async throws -> StartResponse {
        let body = try await JSONRequestBody.decode(StartRequest.self, from: request)
        guard let tracer = TracerType(rawValue: body.traceT) else {
            throw APIError.badRequest("traceT: '\(body.traceT.prefix(40))' is not a tracer type; expected one of \(TracerType.namesForMessages)")
        }
        guard (1...Int64(maxLastingSeconds)).contains(body.lasting) else {
            throw APIError.badRequest("lasting: must be a whole number of seconds from 1 to \(maxLastingSeconds), got \(body.lasting)")
        }
        guard let stored = try await database.template(number: body.traceId) else {
            throw APIError.notFound("traceId: no template \(body.traceId)")
        }
        let template = stored.info
        guard template.tracerTypes.contains(tracer) else {
            throw APIError.badRequest("traceT: template \(body.traceId) may run with \(template.traceType.joined(separator: ", ")), not \(tracer.rawValue)")
        }
        do {
            try validator.validate(template)
        } catch {
            throw APIError.badRequest("template \(body.traceId) is no longer valid: \(error.message)")
        }
        let symbols: ELFFunctionSymbols
        do {
            symbols = try await Self.readSymbols(template.process)
        } catch {
            throw APIError.badRequest("process: '\(template.process)' \(error.description)")
        }
        let missing = symbols.missing(template.functions)
        guard missing.isEmpty else {
            throw APIError.badRequest("functions: not in \(template.process): \(missing.joined(separator: ", "))")
        }
        do {
            let started = try await supervisor.start(template: template, tracer: tracer, lastingSeconds: Int(body.lasting))
            return StartResponse(thread: started.thread, filePath: started.filePath)
        } catch .tooManyRuns(let limit) {
            throw APIError(.tooManyRequests, "\(limit) traces are already running (max-concurrent-runs); stop one or retry later")
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

    /// Reading a large binary's symbol tables is blocking file I/O: keep it off the
    /// event loop.
    static func readSymbols(_ path: String) async throws(ELFFunctionSymbols.ReadError) -> ELFFunctionSymbols {
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { () throws(ELFFunctionSymbols.ReadError) in try ELFFunctionSymbols(path: path) })
            }
        }
        return try result.get()
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

    struct KillRequest: Decodable {
        let killPath: String
    }

    /// Answers `Killed` for any path, known or not, as the original did.
    @Sendable func kill(_ request: Request, context: Context) async throws -> Response {
        let body = try await JSONRequestBody.decode(KillRequest.self, from: request)
        await supervisor.kill(filePath: body.killPath)
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "Killed")))
    }
}
