import ArgumentParser
import Diagnostics
import EndpointConfig
import Foundation

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this host for running the endpoint: config, database, tracers, sudo, tracefs, uprobes, analyses, platform.",
        discussion: "One line per check, with a fix for each problem. Exit status 1 when a check failed. Changes nothing on the host."
    )

    @OptionGroup var config: ConfigOptions

    func run() async throws {
        let configuration: EndpointConfiguration
        do {
            configuration = try EndpointConfiguration.load(directory: config.directory)
        } catch {
            print(DoctorCheck.failed("config", "\(error)", fix: "correct the key named; every key is documented in the shipped files").line)
            throw ExitCode(1)
        }
        print(DoctorCheck.ok("config", "\(config.directory) is valid").line)
        for warning in configuration.warnings {
            print(DoctorCheck.warning("config", warning, fix: "see the shipped files").line)
        }
        var failed = false
        for check in await Doctor(configuration: configuration, directory: config.directory).run() {
            print(check.line)
            failed = failed || check.verdict == .failed
        }
        if failed { throw ExitCode(1) }
    }
}
