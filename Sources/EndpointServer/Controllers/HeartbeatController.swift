import Foundation
import Hummingbird

/// `GET /heartbeat`: liveness for monitors; the only route without authentication.
struct HeartbeatController<Context: RequestContext> {
    struct Heartbeat: ResponseEncodable {
        let status: String
        let time: String
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("heartbeat") { _, _ in
            Heartbeat(status: "alive", time: Date().formatted(.iso8601))
        }
    }
}
