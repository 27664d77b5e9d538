import Foundation
import Hummingbird
import PlatformStore
import PlatformWire

/// `GET /api/containers?selector=S` (viewer): every matching endpoint asked for its
/// `GET /containers` at once (a task for pull endpoints, a call for push ones), the
/// answers gathered within `gatherTimeout` (docs/platform.md, *Sessions*; the seed
/// container-tracer's cluster-wide `/v1/pods`).
struct ContainerRoutes {
    let platform: Platform
    let messenger: EndpointMessenger

    /// An endpoint that has not answered by then is listed with its `error`: a 26 s poll
    /// leaves it room to take the task and answer.
    static let gatherTimeout = Duration.seconds(30)

    init(platform: Platform) {
        self.platform = platform
        messenger = EndpointMessenger(platform: platform, push: platform.push)
    }

    func add(to api: RouterGroup<PlatformContext>) {
        api.get("containers", use: gather)
    }

    struct EndpointContainers: Encodable {
        var endpoint: String
        var containers: JSONValue?
        var error: String?

        enum CodingKeys: String, CodingKey { case endpoint, containers, error }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(endpoint, forKey: .endpoint)
            try container.encode(containers, forKey: .containers)
            try container.encode(error, forKey: .error)
        }
    }

    @Sendable func gather(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        let text = request.uri.queryParameters.get("selector") ?? ""
        guard text.utf8.count <= SessionSpec.maxSelectorBytes else { throw PlatformRefusal(.badRequest, "selector: at most 1024 bytes") }
        let selector: LabelSelector
        do {
            selector = try LabelSelector(parsing: text)
        } catch {
            throw PlatformRefusal(.badRequest, error.description)
        }
        let matching = try await messenger.endpoints(matching: selector)
        let gatherID = EndpointMessenger.randomID()
        let answers = await withTaskGroup(of: (String, EndpointAnswer).self) { group in
            for endpoint in matching {
                group.addTask {
                    let id = EndpointMessenger.taskID("containers", gatherID, endpoint.uuid)
                    let request = EndpointRequest(method: "GET", path: "/containers")
                    return (endpoint.uuid, await messenger.ask(request, id: id, to: endpoint, timeout: Self.gatherTimeout))
                }
            }
            var answers: [String: EndpointAnswer] = [:]
            for await (uuid, answer) in group { answers[uuid] = answer }
            return answers
        }
        let listed = matching.map { endpoint in
            let answer = answers[endpoint.uuid] ?? EndpointAnswer(status: nil, body: nil)
            if answer.status == 200, case .array = answer.body {
                return EndpointContainers(endpoint: endpoint.uuid, containers: answer.body, error: nil)
            }
            return EndpointContainers(endpoint: endpoint.uuid, containers: nil, error: answer.errorText)
        }
        return try PlatformJSON.response(listed)
    }
}
