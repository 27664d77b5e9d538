import ArgumentParser
import Foundation
import HostSystem
import TraceModel

struct AnalysesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyses",
        abstract: "List the analyses this endpoint ships and whether this host can run them.",
        discussion:
            "A table for a person: name, available (checked on this host as GET /analyses checks it), one line of description, then why each unavailable one is. GET /analyses is the machine interface."
    )

    @OptionGroup var config: ConfigOptions

    func run() throws {
        let configuration = try loadConfigurationOrExit(directory: config.directory)
        for line in AnalysisTable.lines(AnalysisListing.catalogue(on: TracingHost(settings: configuration.lambda))) {
            print(line)
        }
    }
}
