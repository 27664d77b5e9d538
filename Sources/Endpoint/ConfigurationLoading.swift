import ArgumentParser
import EndpointConfig
import Foundation

/// Loads the config directory or prints the one-line problem and exits with status 1.
func loadConfigurationOrExit(directory: String) throws -> EndpointConfiguration {
    do {
        return try EndpointConfiguration.load(directory: directory)
    } catch {
        printToStandardError("lambda-endpoint: \(error)")
        throw ExitCode(1)
    }
}

func printToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
