import EndpointCore
import Foundation
import Hummingbird
import Logging

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
        let verdict: Result<Void, TemplateValidationError>
        do {
            verdict = try await BinaryInspection.run {
                Result { () throws(TemplateValidationError) in try validator.validate(template) }
            }
        } catch {
            throw APIError(error)
        }
        do {
            try verdict.get()
        } catch {
            throw APIError.badRequest(error.message)
        }
        guard let stored = try await database.storeTemplate(template, limit: maxTemplates) else {
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
