/// Reading a tracer's (or sudo's) stderr for a one-line reason.
public enum TracerStderr {
    /// The last line that is neither blank nor bpftrace's RLIMIT_MEMLOCK notice (printed
    /// on every start on these kernels, so never the reason), at most 300 characters.
    public static func lastMeaningfulLine(_ text: String) -> String? {
        text.split(separator: "\n").last { line in
            !line.contains("couldn't set RLIMIT_MEMLOCK") && !line.allSatisfy(\.isWhitespace)
        }.map { String($0.prefix(300)) }
    }
}
