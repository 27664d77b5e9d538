import EndpointConfig
import Foundation

/// A shipped settings file read as documentation: where each key stands (set, or shown
/// commented out as `# key: value`) and the comment that documents it, plus the file as
/// the endpoint reads it.
struct DocumentedSettingsFile {
    struct Entry {
        let isCommentedOut: Bool
        /// The comment lines right above the key, past the keys of its group (keys that
        /// share one comment stand on consecutive lines below it), then any comment on the
        /// key's own line; joined into one line, without the `#`s.
        let comment: String
    }

    let path: String
    /// By full key: `port`, `database.poolsize`.
    let entries: [String: Entry]
    let value: ConfigValue

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        self.path = path
        self.value = try ConfigValue.parse(yaml: text, file: path)
        let lines = text.components(separatedBy: "\n")
        var entries: [String: Entry] = [:]
        var mapping: String?
        for (index, line) in lines.enumerated() {
            guard let keyLine = KeyLine(line) else { continue }
            let fullKey: String
            if keyLine.isIndented {
                guard let mapping else { continue }
                fullKey = "\(mapping).\(keyLine.key)"
            } else {
                fullKey = keyLine.key
                if !keyLine.isCommentedOut { mapping = keyLine.rest.isEmpty ? keyLine.key : nil }
            }
            entries[fullKey] = Entry(
                isCommentedOut: keyLine.isCommentedOut,
                comment: Self.comment(above: index, in: lines, inline: keyLine.inlineComment)
            )
        }
        self.entries = entries
    }

    static func comment(above index: Int, in lines: [String], inline: String?) -> String {
        var line = index - 1
        while line >= 0, KeyLine(lines[line]) != nil { line -= 1 }
        var block: [String] = []
        while line >= 0, let text = commentText(lines[line]) {
            block.insert(text, at: 0)
            line -= 1
        }
        return (block + [inline].compactMap { $0 }).joined(separator: " ")
    }

    static func commentText(_ line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("#") else { return nil }
        return trimmed.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
    }

    /// `key: value`, `  key:` or `# key: value`.
    struct KeyLine {
        let key: String
        let isIndented: Bool
        let isCommentedOut: Bool
        let rest: String
        var inlineComment: String? {
            rest.range(of: " #").map { String(rest[$0.upperBound...]).trimmingCharacters(in: .whitespaces) }
        }

        init?(_ line: String) {
            guard let match = line.wholeMatch(of: /( *)(# ?)?([a-z][a-z0-9-]*):( .*)?/) else { return nil }
            self.key = String(match.3)
            self.isIndented = !match.1.isEmpty
            self.isCommentedOut = match.2 != nil
            self.rest = (match.4.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        }
    }

    /// The value the file sets for a key: a literal, or the default of an `_env:NAME:default`
    /// (nil for `_env:NAME` alone, a mapping, or a key the file does not set).
    func shippedValue(of fullKey: String) -> String? {
        var value = value
        for key in fullKey.split(separator: ".") {
            guard case .mapping(let pairs) = value, let found = pairs.first(where: { $0.key == key }) else { return nil }
            value = found.value
        }
        guard case .scalar(let text) = value else { return nil }
        guard text.hasPrefix("_env:") else { return text }
        return text.dropFirst("_env:".count).firstIndex(of: ":").map { String(text[text.index(after: $0)...]) }
    }
}

extension String {
    /// Whether `word` stands in the text on its own: not as part of a longer number, name
    /// or path (`10` is not mentioned by `1000`, nor `0` by `0.05`).
    func mentions(_ word: String) -> Bool {
        var searchStart = startIndex
        while let found = self[searchStart...].range(of: word) {
            let before = found.lowerBound == startIndex ? nil : self[index(before: found.lowerBound)]
            let after = found.upperBound == endIndex ? nil : self[found.upperBound]
            let afterAfter = after == nil || index(after: found.upperBound) == endIndex ? nil : self[index(after: found.upperBound)]
            let standsAlone =
                !(before.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "/" || $0 == "-" } ?? false)
                && !(after.map { $0.isLetter || $0.isNumber || $0 == "/" } ?? false)
                && !(after == "." && afterAfter?.isNumber == true)
            if standsAlone { return true }
            searchStart = index(after: found.lowerBound)
        }
        return false
    }
}
