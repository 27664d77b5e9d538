import EndpointConfig
import PlatformWire
import TraceModel

extension EndpointEvent {
    /// `endpoint-started`: the version and host name, how the endpoint is driven, and the settings that
    /// bound what it runs. Never a secret: no secret, root-password, header or URL.
    static func endpointStarted(_ lambda: LambdaSettings, privilege: TracerPrivilege) -> EndpointEvent {
        let settings: [String: JSONValue] = [
            "maxLastingSeconds": .integer(Int64(lambda.maxLastingSeconds)),
            "maxConcurrentRuns": .integer(Int64(lambda.maxConcurrentRuns)),
            "maxUndeliveredRuns": .integer(Int64(lambda.maxUndeliveredRuns)),
            "maxSpoolBytes": .integer(lambda.maxSpoolBytes),
            "maxEventsPerSecond": .integer(Int64(lambda.maxEventsPerSecond)),
            "maxPendingEvents": .integer(Int64(lambda.maxPendingEvents)),
            "requireSignedRequests": .boolean(lambda.requireSignedRequests),
            "resumeRuns": .boolean(lambda.resumeRuns),
            "maxRunResumes": .integer(Int64(lambda.maxRunResumes)),
            "privilege": .string(privilege.name),
        ]
        return EndpointEvent(
            kind: .endpointStarted,
            detail: [
                "version": .string(Registration.endpointVersion),
                // A push endpoint never registers: this is how its platform learns its name.
                "hostname": .string(PullControl.hostname),
                "control": .string(lambda.control.rawValue),
                "labels": .object(lambda.labels.mapValues(JSONValue.string)),
                "settings": .object(settings),
            ]
        )
    }
}
