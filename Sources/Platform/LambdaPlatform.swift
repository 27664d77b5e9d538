import ArgumentParser

/// `lambda-platform`: the central side that endpoints deliver to and operators use.
@main
struct LambdaPlatform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda-platform",
        abstract: "The platform of lambda endpoints: streams, runs, sessions over the fleet, events, accounts.",
        subcommands: [ServeCommand.self, AccountCommand.self, FleetCommand.self]
    )
}
