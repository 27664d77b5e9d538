import EndpointStorage
import Foundation
import HostSystem
import Hummingbird
import Logging
import Runs
import TraceModel

extension StoredTemplate: ResponseEncodable {}

/// Template routes: `GET /traces`, `PUT /trace`, `POST /trace/remove`.
struct TemplateController<Context: RequestContext> {
    let database: EndpointDatabase
    let validator: TemplateValidator
    let maxTemplates: Int
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("traces", use: list)
        group.put("trace", use: store)
        group.post("trace/remove", use: remove)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> [StoredTemplate] {
        database.allTemplates()
    }

    @Sendable func store(_ request: Request, context: Context) async throws -> StoredTemplate {
        let template = try await JSONRequestBody.decode(TraceTemplate.self, from: request, maxBytes: maxBodyBytes)
        let validator = self.validator
        // The binary as it is now is recorded with the template (`binary` in GET /traces):
        // a pin that does not match it is stored all the same (a fleet's platform stores
        // one template on every host; the pin is there to refuse the hosts whose build
        // differs), and refused at start.
        let verdict: Result<BinaryIdentity?, TemplateValidationError>
        do {
            verdict = try await BinaryInspection.run {
                Result { () throws(TemplateValidationError) -> BinaryIdentity? in
                    try validator.validate(template)
                    return try? BinaryIdentityCache.shared.identity(ofBinaryAt: template.process)
                }
            }
        } catch {
            throw APIError(error)
        }
        let binary: BinaryIdentity?
        do {
            binary = try verdict.get()
        } catch {
            throw APIError.badRequest(error.message)
        }
        guard let stored = try await database.storeTemplate(template, binary: binary, limit: maxTemplates) else {
            throw APIError(
                .conflict,
                "the endpoint already stores \(maxTemplates) templates (max-templates); remove some with POST /trace/remove first"
            )
        }
        context.logger.info("Template stored", metadata: ["template.no": "\(stored.templateId)", "template.process": "\(template.process)"])
        return stored
    }

    struct RemoveResponse: ResponseEncodable {
        let status: String
        let traceNo: Int64
        let removeType: String
        /// True when the template is gone; false when it remains for its other tracers.
        let templateDeleted: Bool
    }

    @Sendable func remove(_ request: Request, context: Context) async throws -> RemoveResponse {
        let body: RemoveRequest.Checked
        do {
            body = try await JSONRequestBody.decode(RemoveRequest.self, from: request, maxBytes: maxBodyBytes).checked()
        } catch let error as FieldError {
            throw APIError.badRequest(error.message)
        }
        let tracer = body.tracer
        switch try await database.removeTracer(tracer, fromTemplate: body.templateId) {
        case .notFound:
            throw APIError.notFound("no template \(body.templateId) with tracer \(tracer.rawValue)")
        case .tracerRemoved:
            context.logger.info(
                "Tracer removed from template",
                metadata: ["template.no": "\(body.templateId)", "template.tracer": "\(tracer.rawValue)"]
            )
            return RemoveResponse(status: "removed", traceNo: body.templateId, removeType: tracer.rawValue, templateDeleted: false)
        case .templateDeleted:
            context.logger.info("Template removed", metadata: ["template.no": "\(body.templateId)"])
            return RemoveResponse(status: "removed", traceNo: body.templateId, removeType: tracer.rawValue, templateDeleted: true)
        }
    }
}
