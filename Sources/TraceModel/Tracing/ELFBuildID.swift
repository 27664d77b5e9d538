import Foundation

extension ELFFunctionSymbols {
    /// `NT_GNU_BUILD_ID`: the note a linker writes (`--build-id`) to name one build of a
    /// binary, whatever its path; what `readelf -n` prints as "Build ID".
    static let noteBuildID: UInt32 = 3
    static let sectionNote: UInt32 = 7
    /// SHA-1 build-ids are 20 bytes, md5 16, `--build-id=0x...` any length: longer than
    /// this is not a build-id anyone compares.
    static let maxBuildIDBytes = 64

    /// The binary's build-id in lowercase hex, from its first `NT_GNU_BUILD_ID` note of
    /// owner `GNU` in a note section; nil when it has none (stripped of it, or linked
    /// without). Bounded like the symbol lookup: the note sections together fit in the
    /// file, each note is read once, 64-byte windows.
    public func buildID() throws(ReadError) -> String? {
        let headers = ReadWindow(source, capacity: Self.sectionHeaderWindowBytes)
        let notes = ReadWindow(source, capacity: Self.maxBuildIDBytes + 16)
        headers.readAheadEnd = sectionOffset + sectionCount * sectionEntrySize
        var noteBytes = 0
        for index in 0..<sectionCount {
            let header = sectionOffset + index * sectionEntrySize
            guard try headers.integer(UInt32.self, at: header + 4) == Self.sectionNote else { continue }
            let offset = try headers.position(at: header + 0x18)
            let size = try headers.position(at: header + 0x20)
            guard size <= source.size - offset else { throw .truncated }
            noteBytes += size
            guard noteBytes <= source.size else { throw .truncated }
            notes.readAheadEnd = offset + size
            var position = offset
            // Each note: namesz, descsz, type (4 bytes each), the name and the descriptor,
            // each padded to 4 bytes.
            while size - (position - offset) >= 12 {
                let nameSize = Int(try notes.integer(UInt32.self, at: position))
                let descriptorSize = Int(try notes.integer(UInt32.self, at: position + 4))
                let type = try notes.integer(UInt32.self, at: position + 8)
                let name = position + 12
                let descriptor = name + (nameSize + 3) / 4 * 4
                let next = descriptor + (descriptorSize + 3) / 4 * 4
                guard nameSize <= size, descriptorSize <= size, next <= offset + size else { throw .truncated }
                if type == Self.noteBuildID, nameSize == 4, Array(try notes.bytes(at: name, count: 4)) == Array("GNU\0".utf8) {
                    guard (1...Self.maxBuildIDBytes).contains(descriptorSize) else { return nil }
                    return try notes.bytes(at: descriptor, count: descriptorSize).map { String(format: "%02x", $0) }.joined()
                }
                position = next
            }
        }
        return nil
    }
}
