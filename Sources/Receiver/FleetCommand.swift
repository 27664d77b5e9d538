import PlatformServer
import ArgumentParser
import Foundation
import PlatformWire
import SubmitReceiver

/// `lambda-receiver fleet ...`: what an operator does with a running reference platform,
/// over its HTTP routes (so the same works with curl).
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "List a platform's endpoints, fan a trace out to them by label, show a fan-out's results.",
        subcommands: [Endpoints.self, Start.self, Results.self]
    )

    struct PlatformOption: ParsableArguments {
        @Option(help: "The running lambda-receiver.") var platform = "http://127.0.0.1:3001"
    }

    struct Endpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The endpoints the platform knows (GET /endpoints).")
        @OptionGroup var options: PlatformOption

        func run() async throws {
            let client = PlatformAdminClient(base: options.platform)
            let endpoints = try await client.get([ListedEndpoint].self, "/endpoints")
            print(
                TextTable.render(
                    header: ["UUID", "CONTROL", "HOSTNAME", "VERSION", "LABELS", "LAST SEEN", "URL"],
                    rows: endpoints.map { endpoint in
                        [
                            endpoint.uuid, endpoint.control?.rawValue ?? "-", endpoint.hostname ?? "-", endpoint.version ?? "-",
                            endpoint.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                            endpoint.lastSeen ?? "-", endpoint.url ?? "-",
                        ]
                    }
                )
            )
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a template on every endpoint matching --selector and start it; wait and print where each one is."
        )
        @OptionGroup var options: PlatformOption
        @Option(help: "Labels every endpoint must have: key=value,... (empty: every endpoint).") var selector = ""
        @Option(help: "The template, a JSON file as PUT /trace takes it.") var template: String
        @Option(help: "Seconds each run lasts.") var lasting: Int
        @Option(help: "The tracer (traceT).") var tracer = "BPF"
        @Option(help: "Seconds to wait for every endpoint to be started or failed.") var wait = 60.0

        func run() async throws {
            let templateData = try Data(contentsOf: URL(fileURLWithPath: template))
            let templateJSON: JSONValue
            do {
                templateJSON = try JSONDecoder().decode(JSONValue.self, from: templateData)
            } catch {
                throw ValidationError("\(template): not JSON")
            }
            let client = PlatformAdminClient(base: options.platform)
            let started = try await client.send(
                FanOutStarted.self,
                "POST",
                "/fleet/start",
                FanOutRequest(selector: selector, template: templateJSON, traceT: tracer, lasting: lasting)
            )
            let deadline = Date().addingTimeInterval(wait)
            var summary = try await client.get(FanOutSummary.self, "/fleet/\(started.id)")
            while summary.endpoints.contains(where: { $0.state == .queued }), Date() < deadline {
                try await Task.sleep(for: .milliseconds(500))
                summary = try await client.get(FanOutSummary.self, "/fleet/\(started.id)")
            }
            print("fan-out \(summary.id): \(summary.endpoints.count) endpoint(s)")
            print(FanOutTable.render(summary))
            if summary.endpoints.contains(where: { $0.state != .started }) { throw ExitCode(1) }
        }
    }

    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where each endpoint of a fan-out is (GET /fleet/{id}).")
        @OptionGroup var options: PlatformOption
        @Argument(help: "The fan-out id fleet start printed.") var id: String

        func run() async throws {
            let summary = try await PlatformAdminClient(base: options.platform).get(FanOutSummary.self, "/fleet/\(id)")
            print(FanOutTable.render(summary))
        }
    }
}
