import Authentication
import EndpointConfig
import EndpointStorage
import EndpointTestSupport
import Foundation
import Logging
import Submitter

@testable import Runs

/// A supervisor driven directly by a test: its runs in `directory`, its tracer the fake
/// `fixture` (`Tests/Fixtures`), running as root, a platform that is never there
/// (`UnreachablePlatformTransport`); `adjust` changes any other setting.
func fakeTracerSupervisor(
    in directory: TestConfigDirectory,
    fixture: String = "fake-tracer-sleeps.sh",
    adjust: (inout LambdaSettings) -> Void = { _ in }
) throws -> RunSupervisor {
    var lambda = try LambdaSettings.defaults(
        platformURL: "http://127.0.0.1:9",
        secret: TestConfigDirectory.secret,
        endpointUUID: TestConfigDirectory.endpointUUID
    )
    lambda.bpfPath = RunSupervisorLimitTests.fixtures + "/" + fixture
    lambda.traceDirectory = directory.path + "/traces"
    lambda.killGraceSeconds = 1
    adjust(&lambda)
    return RunSupervisor(
        settings: RunSupervisor.Settings(lambda: lambda, privilege: .root),
        client: UnreachablePlatformTransport(),
        database: try EndpointDatabase(path: directory.databaseFile, poolSize: 4),
        logger: Logger(label: "test")
    )
}
