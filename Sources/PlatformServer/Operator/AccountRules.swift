/// What an account's name, role and password must be, for the API and the command line
/// alike. Each check returns the message naming the field, or nil when it passes.
public enum AccountRules {
    public static let passwordBytes = 8...1024

    public static func nameProblem(_ name: String) -> String? {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
        return (1...64).contains(name.utf8.count) && allowed ? nil : "name: 1-64 of [A-Za-z0-9._-]"
    }

    /// The message never holds the password, only its length rule.
    public static func passwordProblem(_ password: String) -> String? {
        passwordBytes.contains(password.utf8.count)
            ? nil : "password: \(passwordBytes.lowerBound) to \(passwordBytes.upperBound) bytes"
    }

    public static func role(_ text: String) -> AccountRole? { AccountRole(rawValue: text) }

    public static let roleProblem = "role: admin, operator or viewer"
}
