import ArgumentParser

/// `lambda-test-receiver`: the in-memory, file-writing stand-in for a platform that the
/// endpoint's tests and `make bench` deliver to (it keeps no accounts, no database, and
/// can misbehave on purpose). Not installed: operators run `lambda-platform`.
@main
struct LambdaReceiver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda-test-receiver",
        abstract: "A test and bench stand-in for lambda-platform: receives /submit streams into files, registers endpoints, queues tasks.",
        subcommands: [ServeCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
