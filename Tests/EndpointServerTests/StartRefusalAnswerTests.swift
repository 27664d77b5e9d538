import Hummingbird
import Testing
import TraceModel

@testable import EndpointServer

/// The database failures of a start: neither may say more than the log, and a template
/// that cannot be read is answered as any unexpected failure of a route was before
/// refusals were typed (`JSONErrorMiddleware`), not as a run that could not be recorded.
@Suite("Start refusals of the endpoint's own failures")
struct StartRefusalAnswerTests {
    @Test("A template that cannot be read: 500, the generic text; a run that cannot be recorded: 500, saying so")
    func databaseFailures() {
        let unread = APIError(StartRefusal.cannotReadTemplate("SQLite error 10: disk I/O error - /var/lib/x.sqlite3"))
        #expect(unread.status == .internalServerError && unread.message == "internal error; see the endpoint's log")
        let unrecorded = APIError(StartRefusal.database("SQLite error 13: database or disk is full"))
        #expect(unrecorded.status == .internalServerError && unrecorded.message == "cannot record the run in the database; see the endpoint's log")
        #expect(StartRefusal.cannotReadTemplate("e").logDetail?.message == "Cannot read a template")
    }
}
