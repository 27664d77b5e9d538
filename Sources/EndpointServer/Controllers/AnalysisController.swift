import HostSystem
import Hummingbird
import Runs
import TraceModel

extension AnalysisListing: ResponseEncodable {}

/// `GET /analyses`: the catalogue with each analysis's availability on this host, read
/// afresh for every request (a host that mounts tracefs later is seen at once).
struct AnalysisController<Context: RequestContext> {
    let host: TracingHost

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("analyses", use: list)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> [AnalysisListing] {
        let host = self.host
        do throws(HostInspection.Unreadable) {
            return try await HostInspection.run(tracefsPath: host.tracefsPath) { AnalysisListing.catalogue(on: host) }
        } catch {
            throw APIError(answer: error.answer, message: error.message)
        }
    }
}
