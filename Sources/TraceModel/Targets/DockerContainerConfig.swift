import Foundation

/// Docker's record of a container, `<data-root>/containers/<id>/config.v2.json`, of which
/// only `Name` is read: `/web` for `docker run --name web`.
public enum DockerContainerConfig {
    /// Bigger than any real one (labels and environment are most of it); a larger file is
    /// not read at all.
    public static let maxBytes = 1 << 20

    private struct Named: Decodable {
        let Name: String?
    }

    /// The container's name without Docker's leading `/`; nil for bytes that are not
    /// JSON, have no `Name`, or a name Docker would not give (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`,
    /// at most 255 bytes).
    public static func name(fromConfig data: [UInt8]) -> String? {
        guard let named = try? JSONDecoder().decode(Named.self, from: Data(data)), var name = named.Name else { return nil }
        if name.hasPrefix("/") { name.removeFirst() }
        guard let first = name.utf8.first, isNameByte(first), first != UInt8(ascii: "_"), first != UInt8(ascii: "."), first != UInt8(ascii: "-"),
            name.utf8.count <= 255, name.utf8.allSatisfy(isNameByte)
        else { return nil }
        return name
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "-")
    }
}
