import ArgumentParser
import Foundation
import PlatformWire

/// `lambda-platform fleet login|endpoints|sessions|runs|events`: the operator API from a
/// shell, tables for people and `--json` (the API's own answer) for scripts.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Use a platform's operator API: sign in, list endpoints, sessions, runs, events.",
        subcommands: [Login.self, Endpoints.self, Sessions.self, Runs.self, Events.self]
    )

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign in; prints the token (keep it in a file of mode 0600 for --token-file). The password is read from standard input."
        )
        @Option(help: "The platform, http(s)://host:port.") var url: String
        @Option(help: "The account name.") var name: String

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                fail("password: expected on standard input (its first line)")
            }
            let body = try JSONEncoder().encode(["name": name, "password": password])
            let answer = await FleetClient(url: url, token: nil).call("POST", "/api/login", json: body)
            guard let issued = try? JSONDecoder().decode([String: String].self, from: answer), let token = issued["token"] else {
                fail("POST /api/login: not the expected answer")
            }
            print(token)
        }
    }

    /// What every listing takes.
    struct ListingOptions: ParsableArguments {
        @Option(help: "The platform, http(s)://host:port.") var url: String
        @Option(help: "A file (mode 0600) holding a token from `fleet login`.") var tokenFile: String
        @Flag(help: "Print the API's JSON answer as it came, for scripts.") var json = false

        func list(_ path: String, columns: [FleetColumn]) async throws {
            let body = await FleetClient(url: url, token: FleetClient.token(from: tokenFile)).call("GET", path)
            if json {
                FileHandle.standardOutput.write(body)
                print()
                return
            }
            guard let items = try? JSONDecoder().decode([[String: JSONValue]].self, from: body) else { fail("GET \(path): expected a JSON list") }
            let rows = items.map { item in columns.map { item[$0.key]?.cellText ?? "-" } }
            print(TextTable(headers: columns.map(\.header), rows: rows).text, terminator: "")
        }
    }

    struct Endpoints: FleetListing {
        static let configuration = CommandConfiguration(abstract: "The endpoints: online or not, version, labels.")
        static let path = "/api/endpoints"
        static let columns: [FleetColumn] = [
            .init("UUID", "uuid"), .init("HOSTNAME", "hostname"), .init("CONTROL", "control"), .init("VERSION", "version"),
            .init("ONLINE", "online"), .init("LAST SEEN", "lastSeen"), .init("LABELS", "labels"),
        ]
        @OptionGroup var options: ListingOptions
    }

    struct Sessions: FleetListing {
        static let configuration = CommandConfiguration(abstract: "The sessions over the fleet.")
        static let path = "/api/sessions"
        static let columns: [FleetColumn] = [
            .init("ID", "id"), .init("NAME", "name"), .init("SELECTOR", "selector"), .init("RUNNING", "running"),
            .init("CREATED", "created"), .init("BY", "createdBy"), .init("ENDPOINTS", "endpoints"),
        ]
        @OptionGroup var options: ListingOptions
    }

    struct Runs: FleetListing {
        static let configuration = CommandConfiguration(abstract: "The runs received, newest first.")
        static let path = "/api/runs"
        static let columns: [FleetColumn] = [
            .init("ID", "id"), .init("ENDPOINT", "endpoint"), .init("SESSION", "session"), .init("STARTED", "started"),
            .init("FINISHED", "finished"), .init("CODE", "code"), .init("BYTES", "bytes"), .init("COMPLETE", "complete"),
        ]
        @OptionGroup var options: ListingOptions
    }

    struct Events: FleetListing {
        static let configuration = CommandConfiguration(abstract: "The endpoints' events, newest first.")
        static let path = "/api/events"
        static let columns: [FleetColumn] = [.init("TIME", "time"), .init("ENDPOINT", "endpoint"), .init("KIND", "kind"), .init("RUN", "run")]
        @OptionGroup var options: ListingOptions
    }
}

/// A `fleet` subcommand that lists one route's answer: its path and the columns shown.
protocol FleetListing: AsyncParsableCommand {
    static var path: String { get }
    static var columns: [FleetColumn] { get }
    var options: FleetCommand.ListingOptions { get }
}

extension FleetListing {
    func run() async throws {
        try await options.list(Self.path, columns: Self.columns)
    }
}

/// A column of a listing: its header and the JSON field it shows.
struct FleetColumn {
    let header: String
    let key: String

    init(_ header: String, _ key: String) {
        self.header = header
        self.key = key
    }
}

extension JSONValue {
    /// As one cell of a table: text as it is, null as `-`, a list of texts joined by
    /// commas (a list of objects: how many), an object as `key=value` pairs.
    var cellText: String {
        switch self {
        case .string(let text): return text.isEmpty ? "-" : text
        case .null: return "-"
        case .boolean(let value): return value ? "yes" : "no"
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .array(let items):
            if items.contains(where: { if case .object = $0 { return true } else { return false } }) { return String(items.count) }
            return items.isEmpty ? "-" : items.map(\.cellText).joined(separator: ",")
        case .object(let fields):
            return fields.isEmpty ? "-" : fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.cellText)" }.joined(separator: ",")
        }
    }
}
