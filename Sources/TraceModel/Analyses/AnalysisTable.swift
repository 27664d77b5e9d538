import Foundation

/// The catalogue as `lambda-endpoint analyses` prints it for a person: a table of name,
/// availability and the one-line description, then one line per unavailable analysis
/// saying why. (`GET /analyses` is the machine interface.)
public enum AnalysisTable {
    public static func lines(_ listings: [AnalysisListing]) -> [String] {
        let nameWidth = max("NAME".count, listings.map(\.name.count).max() ?? 0)
        let availableWidth = "AVAILABLE".count
        func row(_ name: String, _ available: String, _ description: String) -> String {
            name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + available.padding(toLength: availableWidth, withPad: " ", startingAt: 0) + "  " + description
        }
        var lines = [row("NAME", "AVAILABLE", "DESCRIPTION")]
        lines += listings.map { row($0.name, $0.available ? "yes" : "no", $0.description) }
        let unavailable = listings.filter { !$0.available }
        if !unavailable.isEmpty {
            lines.append("")
            lines += unavailable.map { "\($0.name) is not available: \($0.unavailable ?? "")" }
        }
        return lines
    }
}
