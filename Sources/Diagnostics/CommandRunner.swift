import Foundation

/// Runs a program for a check: argv array, no shell, an environment given whole, stdin
/// from bytes, stdout and stderr together, killed after `timeout`.
struct CommandRunner {
    struct Outcome {
        /// Exit status; nil when the program could not start or was killed at the timeout.
        let code: Int32?
        let output: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"], input: [UInt8] = [], timeout: Duration = .seconds(20)) -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = standardInput
        do {
            try process.run()
        } catch {
            return Outcome(code: nil, output: "\(error)")
        }
        standardInput.fileHandleForWriting.write(Data(input))
        try? standardInput.fileHandleForWriting.close()
        // Read on another thread so a chatty program cannot fill the pipe and hang.
        let collected = OutputBox()
        let reader = Thread {
            collected.set(output.fileHandleForReading.readDataToEndOfFile())
        }
        reader.start()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            usleep(20_000)
        }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let text = collected.wait()
        return Outcome(code: timedOut ? nil : process.terminationStatus, output: String(decoding: text, as: UTF8.self))
    }

    final class OutputBox: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var data = Data()
        func set(_ data: Data) {
            self.data = data
            done.signal()
        }
        func wait() -> Data {
            // A grandchild holding the pipe open must not hang the doctor.
            guard done.wait(timeout: .now() + 5) == .success else { return Data() }
            return data
        }
    }
}
