import ArgumentParser

@main
struct LambdaEndpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda-endpoint",
        abstract: "Runs bpftrace and SystemTap traces for a central platform and streams their output to it.",
        subcommands: [Serve.self, AuthHeader.self, DoctorCommand.self]
    )
}

/// The config directory option shared by every subcommand.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "Directory holding settings.yml and lambda-settings.yml.")
    var directory: String = "./Config"
}
