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

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("traces", use: list)
        group.put("trace", use: store)
        group.post("trace/remove", use: remove)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> [StoredTemplate] {
        database.allTemplates()
    }

    @Sendable func store(_ request: Request, context: Context) async throws -> StoredTemplate {
        let template = try await JSONRequestBody.decode(TraceTemplate.self, from: request)
        do {
            try validator.validate(template)
        } catch {
            throw APIError.badRequest(error.message)
        }
        guard let stored = try await database.storeTemplate(template, limit: maxTemplates) else {
            throw APIError(.conflict, "the endpoint already stores \(maxTemplates) templates (max-templates); remove some with POST /trace/remove first")
        }
        context.logger.info("Template stored", metadata: ["template.no": "\(stored.traceNo)", "template.process": "\(template.process)"])
        return stored
    }

    struct RemoveRequest: Decodable {
        let removeType: String
        let removeId: Int64

        enum CodingKeys: String, CodingKey { case removeType, removeId }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.removeType = try container.decode(String.self, forKey: .removeType)
            self.removeId = try container.decodeWholeNumber(forKey: .removeId)
        }
    }

    struct RemoveResponse: ResponseEncodable {
        let status: String
        let traceNo: Int64
        let removeType: String
        /// True when the template is gone; false when it remains for its other tracers.
        let templateDeleted: Bool
    }

    @Sendable func remove(_ request: Request, context: Context) async throws -> RemoveResponse {
        let body = try await JSONRequestBody.decode(RemoveRequest.self, from: request)
        guard let tracer = TracerType(rawValue: body.removeType) else {
            throw APIError.badRequest("removeType: '\(body.removeType.prefix(40))' is not a tracer type; expected one of \(TracerType.namesForMessages)")
        }
        guard body.removeId >= 1 else {
            throw APIError.badRequest("removeId: must be a template number (1 or more), got \(body.removeId)")
        }
        switch try await database.removeTracer(tracer, fromTemplate: body.removeId) {
        case .notFound:
            throw APIError.notFound("no template \(body.removeId) with tracer \(tracer.rawValue)")
        case .tracerRemoved:
            context.logger.info("Tracer removed from template", metadata: ["template.no": "\(body.removeId)", "template.tracer": "\(tracer.rawValue)"])
            return RemoveResponse(status: "removed", traceNo: body.removeId, removeType: tracer.rawValue, templateDeleted: false)
        case .templateDeleted:
            context.logger.info("Template removed", metadata: ["template.no": "\(body.removeId)"])
            return RemoveResponse(status: "removed", traceNo: body.removeId, removeType: tracer.rawValue, templateDeleted: true)
        }
    }
}
