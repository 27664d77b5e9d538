import PlatformServer
import ArgumentParser

/// `lambda-receiver`: a small stand-in for the platform, for a first trace on a new
/// machine, for trying a fleet and for tests. `serve` (the default, so
/// `lambda-receiver --port P --config DIR --out DIR` works as it always did) runs it;
/// `fleet ...` talks to a running one as an operator would.
@main
struct LambdaReceiver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda-receiver",
        abstract: "A reference platform: receives /submit streams, registers endpoints, queues tasks and fans traces out.",
        subcommands: [ServeCommand.self, FleetCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
