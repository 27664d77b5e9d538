import Foundation
import Hummingbird
import PlatformStore
import PlatformWire

/// `POST /api/sessions`, `PUT /api/sessions/{id} {"run": bool}`, `GET /api/sessions`,
/// `GET /api/sessions/{id}`, `DELETE /api/sessions/{id}` (docs/platform.md, *Sessions*):
/// operators change sessions, viewers read them.
struct SessionRoutes {
    let platform: Platform
    let driver: SessionDriver

    init(platform: Platform) {
        self.platform = platform
        driver = SessionDriver(platform: platform, push: platform.push)
    }

    func add(to api: RouterGroup<PlatformContext>) {
        api.post("sessions", use: create)
        api.get("sessions", use: list)
        api.get("sessions/:id", use: show)
        api.put("sessions/:id", use: change)
        api.delete("sessions/:id", use: delete)
    }

    /// A session's body: a template and the fields, with room; context is 4 KiB of it.
    static let bodyLimit = 256 << 10

    @Sendable func create(_ request: Request, context: PlatformContext) async throws -> Response {
        let account = try context.require(.operator)
        guard case .object(let body) = try await PlatformJSON.decode(JSONValue.self, from: request, upTo: Self.bodyLimit) else {
            throw PlatformRefusal(.badRequest, "expected a JSON object: {\"name\", \"selector\", \"template\" or \"analysis\", \"lasting\", ...}")
        }
        let (name, selector, spec) = try SessionSpec.checked(body)
        let record = SessionRecord(
            id: EndpointMessenger.randomID(),
            name: name,
            selector: selector,
            spec: String(decoding: try PlatformJSON.encoded(spec), as: UTF8.self),
            created: Clock.milliseconds(),
            createdBy: account.name
        )
        do {
            try await driver.store.create(record)
        } catch let refusal as SessionStore.Refusal {
            throw PlatformRefusal(.conflict, refusal.description)
        }
        return try PlatformJSON.response(try await view(record.id), status: .created)
    }

    @Sendable func list(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        let sessions = try await driver.store.sessions()
        return try PlatformJSON.response(try await SessionView.views(of: sessions, rows: try await driver.store.rows(), platform: platform))
    }

    @Sendable func show(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        return try PlatformJSON.response(try await view(try Self.id(context)))
    }

    @Sendable func change(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.operator)
        let id = try Self.id(context)
        let body = try await PlatformJSON.decode(JSONValue.self, from: request, upTo: 1 << 10)
        guard case .boolean(let run)? = body["run"] else { throw PlatformRefusal(.badRequest, "run: expected true or false") }
        guard let session = try await driver.store.session(id) else { throw Self.unknown(id) }
        if run {
            _ = try await driver.run(session)
        } else {
            _ = try await driver.stop(id)
        }
        return try PlatformJSON.response(try await view(id))
    }

    @Sendable func delete(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.operator)
        let id = try Self.id(context)
        guard try await driver.delete(id) else { throw Self.unknown(id) }
        return Response(status: .noContent)
    }

    private func view(_ id: String) async throws -> SessionView {
        guard let session = try await driver.store.session(id) else { throw Self.unknown(id) }
        let views = try await SessionView.views(of: [session], rows: try await driver.store.rows(of: id), platform: platform)
        return views[0]
    }

    /// Session ids are 16 hexadecimal digits; anything else is no session (and is not
    /// echoed).
    private static func id(_ context: PlatformContext) throws -> String {
        let id = try context.parameters.require("id")
        guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw PlatformRefusal(.notFound, "no such session")
        }
        return id
    }

    private static func unknown(_ id: String) -> PlatformRefusal {
        PlatformRefusal(.notFound, "no session \(id)")
    }
}
