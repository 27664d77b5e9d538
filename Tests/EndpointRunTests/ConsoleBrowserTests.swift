import EndpointTestSupport
import Foundation
import Testing

/// The console in a real headless Chromium (Debian's `chromium` and `chromium-driver`,
/// driven by selenium from `Tests/Browser/console_walkthrough.py`) against the real
/// `lambda-platform` with an account made by `lambda-platform account add`, and a real
/// pull endpoint running bpftrace for the session the browser creates.
@Suite("The console in headless Chromium", .serialized, .enabled(if: getuid() == 0, "needs root for the tracer"))
struct ConsoleBrowserTests {
    static let identity = PullEndpoints.db
    static let script = EndpointProcess.repositoryRoot + "/Tests/Browser/console_walkthrough.py"

    @Test(
        "Sign in (a wrong password refused first), the endpoint listed online with its labels, a cpu-profile session created and run, its tail growing, its run's page with its flame graph drawn, histogram charts, events, the session deleted, signed out; no request leaves the origin"
    )
    func walkthrough() async throws {
        let platform = try PlatformProcess(endpoints: [.init(uuid: Self.identity.uuid, secret: Self.identity.secret, labels: ["role": "console"])])
        defer { platform.stop() }
        // The password goes to `account add` and to the browser script on standard input only.
        let password = "console-\(UUID().uuidString)"
        let added = try platform.command(["account", "add", "console-operator", "--role", "operator"], input: password + "\n")
        #expect(added.code == 0, "account add: \(added.error)")
        // Small chunks sent often: the stream reaches the platform while the run goes on,
        // so the page's tail grows (the default 50 KiB chunk can hold a whole short profile).
        let endpoint = try EndpointProcess(
            platformURL: platform.url,
            lambda: Self.identity.settings(platformURL: platform.url).merging(["submit-chunk-size": "4096", "submit-flush-interval": "0.2"]) { $1 }
        )
        _ = endpoint
        // Something for the profile to sample besides the machine's own work.
        let busy = try busyBash(seconds: 60)
        defer { busy.send(SIGKILL) }

        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("console-screenshots-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let browser = try SpawnedProcess(
            // The python3 on PATH: the one scripts/install-deps.sh installed selenium for.
            executable: "/usr/bin/env",
            arguments: ["python3", Self.script, platform.url, "console-operator", Self.identity.uuid, screenshots],
            standardInput: password + "\n"
        )
        let code = browser.waitForExit(timeout: 300)
        if code == nil { browser.send(SIGKILL) }
        // The screenshots' paths and what each shows, for a person to look at.
        print("console screenshots in \(screenshots):\n\(browser.standardOutput)")
        #expect(code == 0, "the walkthrough: \(browser.standardOutput)\n\(String(browser.standardError.suffix(4000)))")
        #expect(!browser.standardOutput.contains(password) && !browser.standardError.contains(password), "the password never reaches output")
    }
}
