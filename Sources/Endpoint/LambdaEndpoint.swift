import ArgumentParser

@main
struct LambdaEndpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda-endpoint",
        abstract: "Runs bpftrace and SystemTap traces for a central platform and streams their output to it.",
        subcommands: [Serve.self, AuthHeader.self, DoctorCommand.self, AnalysesCommand.self]
    )

    /// Puts inherited signal handling right before anything else runs, so before any
    /// thread starts or any tracer is spawned (see `InheritedSignals`).
    static func main() async {
        InheritedSignals.reset()
        await main(nil)
    }
}

/// The config directory option shared by every subcommand.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "Directory holding settings.yml and lambda-settings.yml.")
    var directory: String = "./Config"
}
