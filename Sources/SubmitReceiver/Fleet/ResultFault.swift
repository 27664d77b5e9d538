import HTTPTypes
import PlatformWire

/// A hook to make the stand-in platform refuse task results on purpose (tests of the
/// endpoint's result outbox): called for each authenticated, decoded
/// `PUT /tasks/<id>/result` before it is recorded; a status it returns is answered
/// instead (with an empty body) and the result is not recorded. It may also sleep.
public typealias ResultFault = @Sendable (_ id: String, _ result: TaskResult) async -> HTTPResponse.Status?
