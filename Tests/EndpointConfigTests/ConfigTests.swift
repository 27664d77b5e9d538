import Credentials
import EndpointConfig
import EndpointTestSupport
import Foundation
import HostSystem
import Testing

@Suite("Configuration files")
struct ConfigTests {
    static let repositoryConfig = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config").path

    /// Loads a test directory and returns the error it gives, or nil.
    func loadError(
        settings: [String: String?] = [:],
        lambda: [String: String?] = [:],
        rawSettings: String? = nil,
        rawLambda: String? = nil,
        environment: [String: String] = [:]
    ) throws -> ConfigError? {
        let directory = try TestConfigDirectory(settings: settings, lambda: lambda, rawSettings: rawSettings, rawLambda: rawLambda)
        defer { directory.remove() }
        do {
            _ = try EndpointConfiguration.load(directory: directory.path, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test("The shipped Config/ loads with its documented defaults")
    func shippedDefaults() throws {
        let configuration = try EndpointConfiguration.load(directory: Self.repositoryConfig, environment: [:])
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 3000)
        #expect(configuration.server.databasePath == Self.repositoryConfig + "/lambda.sqlite3")
        #expect(configuration.server.databasePoolSize == 10)
        #expect(configuration.server.connections == ConnectionSettings(maxConnections: 512, idleTimeoutSeconds: 60, requestReadTimeoutSeconds: 30))
        let lambda = configuration.lambda
        #expect(lambda.rootPassword == nil)
        #expect(lambda.bpfPath == "/usr/bin/bpftrace")
        #expect(lambda.stapPath == "/usr/bin/stap")
        #expect(lambda.submitChunkSize == 51200)
        #expect(lambda.platformURL == "http://127.0.0.1:3001")
        #expect(lambda.secret == EndpointConfiguration.exampleSecret)
        #expect(lambda.endpointUUID == "4633d686-f75d-4d1f-8415-02ce37d9e5f8")
        #expect(lambda.traceDirectory == "/tmp")
        #expect(lambda.maxLastingSeconds == 86400)
        #expect(lambda.maxConcurrentRuns == 16)
        #expect(lambda.killGraceSeconds == 5)
        #expect(lambda.shutdownGraceSeconds == 10)
        #expect(lambda.submitFlushInterval == nil)
        #expect(lambda.maxSpoolBytes == 1 << 30)
        #expect(lambda.keepRunFiles == false)
        #expect(lambda.submitRetryInitial == .milliseconds(500))
        #expect(lambda.submitRetryMaximum == .seconds(30))
        #expect(lambda.auth == AuthSettings())
        #expect(lambda.logLevel == .info)
        #expect(
            ContainerInventory.Locations(settings: lambda)
                == ContainerInventory.Locations(
                    procRoot: "/proc",
                    cgroupMount: nil,
                    containerLogDirectory: "/var/log/containers",
                    dockerDataRoot: "/var/lib/docker"
                )
        )
        #expect(configuration.warnings.count == 1)
        #expect(configuration.warnings.first?.contains("key 'secret' is still the shipped example") == true)
    }

    @Test("_env:NAME:default takes the variable when set, else the default")
    func environmentSubstitution() throws {
        let environment = [
            "LAMBDA_PORT": "4100", "LAMBDA_SECRET": "from-the-environment",
            "LAMBDA_PLATFORM_URL": "https://platform.example:8443/base/",
            "LAMBDA_DATABASE": "/var/tmp/other.sqlite3",
        ]
        let configuration = try EndpointConfiguration.load(directory: Self.repositoryConfig, environment: environment)
        #expect(configuration.server.port == 4100)
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.databasePath == "/var/tmp/other.sqlite3")
        #expect(configuration.lambda.secret == "from-the-environment")
        #expect(configuration.lambda.platformURL == "https://platform.example:8443/base")
        #expect(configuration.warnings.isEmpty)
    }

    @Test("Defaults after the second colon may contain colons")
    func environmentDefaultWithColons() throws {
        let directory = try TestConfigDirectory(lambda: ["platform-url": "\"_env:NOT_SET_HERE:http://10.1.2.3:8080/x\""])
        defer { directory.remove() }
        let configuration = try EndpointConfiguration.load(directory: directory.path, environment: [:])
        #expect(configuration.lambda.platformURL == "http://10.1.2.3:8080/x")
    }

    @Test("Yesod host wildcards map to bind addresses")
    func hostWildcards() throws {
        for (written, expected) in [("'*4'", "0.0.0.0"), ("'*6'", "::"), ("'*'", "::"), ("::1", "::1"), ("localhost", "localhost")] {
            let directory = try TestConfigDirectory(settings: ["host": written])
            defer { directory.remove() }
            #expect(try EndpointConfiguration.load(directory: directory.path, environment: [:]).server.host == expected)
        }
    }

    @Test("Absent optional keys take their defaults; a relative database path is relative to the config directory")
    func optionalKeysDefault() throws {
        let directory = try TestConfigDirectory(
            settings: ["host": nil, "port": nil],
            lambda: ["root-password": nil, "bpf-path": nil, "stap-path": nil, "submit-chunk-size": nil, "trace-dir": nil]
        )
        defer { directory.remove() }
        let configuration = try EndpointConfiguration.load(directory: directory.path, environment: [:])
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 3000)
        #expect(configuration.server.databasePath == directory.databaseFile)
        #expect(configuration.lambda.submitChunkSize == 51200)
        #expect(configuration.lambda.traceDirectory == "/tmp")
        #expect(configuration.lambda.bpfPath == "/usr/bin/bpftrace")
        #expect(configuration.lambda.rootPassword == nil)
        #expect(configuration.lambda.maxBodyBytes == 1_048_576)
    }

    @Test("submit-flush-interval takes decimal seconds")
    func flushInterval() throws {
        let directory = try TestConfigDirectory(lambda: ["submit-flush-interval": "0.25"])
        defer { directory.remove() }
        #expect(try EndpointConfiguration.load(directory: directory.path, environment: [:]).lambda.submitFlushInterval == .milliseconds(250))
    }

    @Test("A root-password is read and kept")
    func rootPassword() throws {
        let directory = try TestConfigDirectory(lambda: ["root-password": "'s3cret pass'"])
        defer { directory.remove() }
        #expect(try EndpointConfiguration.load(directory: directory.path, environment: [:]).lambda.rootPassword == "s3cret pass")
    }

    @Test("Unknown keys are warnings naming file and key, not errors")
    func unknownKeys() throws {
        let directory = try TestConfigDirectory(lambda: ["submit-chunk-sise": "100"])
        defer { directory.remove() }
        let configuration = try EndpointConfiguration.load(directory: directory.path, environment: [:])
        #expect(configuration.warnings == ["\(directory.lambdaSettingsFile): unknown key 'submit-chunk-sise' is ignored"])
    }

    @Test("Pull-mode settings: control, labels (a mapping), register-interval, poll-wait; the shipped defaults push and none")
    func pullModeSettings() throws {
        let shipped = try EndpointConfiguration.load(directory: Self.repositoryConfig, environment: [:]).lambda
        #expect(shipped.control == .push && shipped.labels.isEmpty && shipped.registerIntervalSeconds == 60 && shipped.pollWaitSeconds == 26)
        let directory = try TestConfigDirectory(lambda: ["control": "both", "labels": "{role: db, zone: eu-1, team/x: a_b.c-d}", "poll-wait": "3"])
        defer { directory.remove() }
        let lambda = try EndpointConfiguration.load(directory: directory.path, environment: [:]).lambda
        #expect(lambda.control == .both && lambda.control.polls)
        #expect(lambda.labels == ["role": "db", "zone": "eu-1", "team/x": "a_b.c-d"])
        #expect(lambda.pollWaitSeconds == 3)
    }

    @Test("A wrong value stops loading with one line naming file, key and problem", arguments: badCases)
    func badValue(_ bad: BadCase) throws {
        let directory = try TestConfigDirectory(settings: bad.settings, lambda: bad.lambda)
        defer { directory.remove() }
        let error = #expect(throws: ConfigError.self) {
            try EndpointConfiguration.load(directory: directory.path, environment: [:])
        }
        let file = bad.inLambdaFile ? directory.lambdaSettingsFile : directory.settingsFile
        #expect(error == ConfigError(file: file, key: bad.key, problem: bad.problem))
        #expect(error.map { !"\($0)".contains("\n") } == true)
    }

    @Test("A missing file is named")
    func missingFile() throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        try FileManager.default.removeItem(atPath: directory.lambdaSettingsFile)
        let error = #expect(throws: ConfigError.self) { try EndpointConfiguration.load(directory: directory.path, environment: [:]) }
        #expect(error?.description == "\(directory.lambdaSettingsFile): does not exist")
    }

    @Test("A file that is not a mapping is refused")
    func notAMapping() throws {
        #expect(try loadError(rawSettings: "- a\n- b\n")?.problem == "must be a YAML mapping of keys to values")
    }

    @Test("An empty lambda-settings.yml names the first required key")
    func emptyLambdaFile() throws {
        #expect(try loadError(rawLambda: "")?.key == "platform-url")
    }

    @Test("Invalid YAML names the line but never quotes it: the line may hold the secret")
    func invalidYAMLDoesNotLeakSecret() throws {
        let raw = "platform-url: http://x\nendpoint-uuid: \(TestConfigDirectory.endpointUUID)\nsecret: \"hunter2-very-secret\n  : [\n"
        let error = try #require(try loadError(rawLambda: raw))
        #expect(error.problem.hasPrefix("is not valid YAML (line "))
        #expect(!error.description.contains("hunter2"))
    }

    @Test("A duplicated key is refused")
    func duplicatedKey() throws {
        let error = try #require(try loadError(rawSettings: "port: 1\nport: 2\n"))
        #expect(error.problem.contains("duplicated keys: port") || error.problem == "is given twice")
    }

    @Test("No config error ever contains the secret or the root password")
    func errorsNeverContainSecrets() throws {
        let secrets: [String: String?] = ["secret": "'TOPSECRET-1'", "root-password": "'TOPSECRET-2'"]
        var cases: [[String: String?]] = [["secret": "[TOPSECRET-1]"], ["root-password": "{p: TOPSECRET-2}"]]
        for bad in Self.badCases where !bad.lambda.isEmpty { cases.append(bad.lambda.merging(secrets) { kept, _ in kept }) }
        for lambda in cases {
            let error = try #require(try loadError(lambda: lambda))
            #expect(!error.description.contains("TOPSECRET"))
        }
    }
}
