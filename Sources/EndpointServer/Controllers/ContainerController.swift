import HostSystem
import Hummingbird
import TraceModel

extension HostContainer: ResponseEncodable {}

/// `GET /containers`: what runs in containers on this host, read from its files
/// (`ContainerInventory`) on the inventory's own threads.
struct ContainerController<Context: RequestContext> {
    let inventory: ContainerInventory

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("containers", use: list)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> [HostContainer] {
        do {
            return try await inventory.snapshot().containers
        } catch {
            // Both are the host's state, not the request's: a hung /proc or data root, or
            // many listings at once. The client may ask again.
            context.logger.warning("Cannot read the host's containers", metadata: ["error": "\(error)"])
            let message =
                switch error {
                case .timedOut: "reading the host's containers took more than \(inventory.pool.timeout); try again later"
                case .saturated: "too many container listings at once; try again later"
                }
            throw APIError(.serviceUnavailable, message, headers: [.retryAfter: "1"])
        }
    }
}
