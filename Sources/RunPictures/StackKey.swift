/// One key of a stack map, read into the frames of a folded line: root first.
///
/// bpftrace 0.17 writes a stack as a newline, then one frame a line (`    symbol+offset` or
/// `    0xADDRESS`), innermost first, each line ending in a newline; an empty stack is an
/// empty string. A key of several values joins them with commas, so a stack part runs
/// to the first `"\n,"` and the parts around it are plain values (docs/platform.md,
/// "Pictures").
enum StackKey {
    /// Where the stacks and the command sit in the key of the catalogue's two stack maps
    /// (`PID,USTACK,KSTACK,COMM` and `PID,TID,USTACK,KSTACK,COMM`); any other map is read
    /// generically (`generic`).
    enum Layout: Equatable {
        case catalogue(valuesBefore: Int)
        case generic

        static func of(map: String) -> Layout {
            switch map {
            case "@cpu_samples": .catalogue(valuesBefore: 1)
            case "@offcpu_us": .catalogue(valuesBefore: 2)
            default: .generic
            }
        }
    }

    /// Kernel frames carry this suffix, as FlameGraph's stackcollapse scripts mark them.
    static let kernelSuffix = "_[k]"
    /// The frame of a key without any frame (an empty stack and nothing else).
    static let emptyStack = "[empty stack]"
    /// Longer symbols (C++ templates) are cut here: a frame is a name to read.
    static let maxFrameBytes = 1024

    /// The frames of `key`, root first: for the catalogue's maps the command, then the
    /// user stack, then the kernel stack marked `_[k]`; for any other map, its stacks in
    /// order, the second of two marked kernel (`@[ustack, kstack]`), a lone one unmarked
    /// (the JSON does not say which kind it is), its plain values left out.
    static func frames(of key: String, layout: Layout) -> [String] {
        let parts = split(Array(key.utf8), layout: layout)
        var frames: [String] = []
        switch layout {
        case .catalogue(let before):
            guard parts.count == before + 3 else { return [emptyStack] }
            let command = String(decoding: parts[before + 2].bytes, as: UTF8.self)
            frames.append(clean(command.isEmpty ? "[unknown]" : command))
            frames += stackFrames(parts[before].bytes, suffix: "")
            frames += stackFrames(parts[before + 1].bytes, suffix: kernelSuffix)
        case .generic:
            let stacks = parts.filter(\.isStack)
            for (position, stack) in stacks.enumerated() {
                frames += stackFrames(stack.bytes, suffix: stacks.count == 2 && position == 1 ? kernelSuffix : "")
            }
        }
        return frames.isEmpty ? [emptyStack] : frames
    }

    struct Part {
        var bytes: ArraySlice<UInt8>
        var isStack: Bool
    }

    /// Splits at the commas between values; a stack (a part starting with a newline) runs
    /// through its frame lines. With the catalogue's layout the last part is the command
    /// whole, commas and all (a process names itself).
    static func split(_ bytes: [UInt8], layout: Layout) -> [Part] {
        let newline = UInt8(ascii: "\n")
        let comma = UInt8(ascii: ",")
        var parts: [Part] = []
        var index = 0
        let lastPart: Int? = if case .catalogue(let before) = layout { before + 2 } else { nil }
        while index <= bytes.count {
            if parts.count == lastPart {
                parts.append(Part(bytes: bytes[index...], isStack: false))
                break
            }
            let start = index
            if index < bytes.count, bytes[index] == newline {
                // Frame lines: after each newline, a line that starts with a space.
                index += 1
                while index < bytes.count, bytes[index] == UInt8(ascii: " ") {
                    while index < bytes.count, bytes[index] != newline { index += 1 }
                    if index < bytes.count { index += 1 }
                }
                parts.append(Part(bytes: bytes[start..<index], isStack: true))
            } else {
                while index < bytes.count, bytes[index] != comma { index += 1 }
                parts.append(Part(bytes: bytes[start..<index], isStack: false))
            }
            if index < bytes.count, bytes[index] == comma {
                index += 1
                if index == bytes.count { parts.append(Part(bytes: bytes[index...], isStack: false)) }
            } else {
                break
            }
        }
        return parts
    }

    /// A stack's frames root first, each without its `+offset`.
    static func stackFrames(_ stack: ArraySlice<UInt8>, suffix: String) -> [String] {
        stack.split(separator: UInt8(ascii: "\n")).reversed().compactMap { line in
            var symbol = line.drop { $0 == UInt8(ascii: " ") }
            guard !symbol.isEmpty else { return nil }
            let isAddress = symbol.starts(with: [UInt8(ascii: "0"), UInt8(ascii: "x")])
            if !isAddress, let plus = symbol.lastIndex(of: UInt8(ascii: "+")),
                symbol[(plus + 1)...].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            {
                symbol = symbol[..<plus]
            }
            return clean(String(decoding: symbol, as: UTF8.self)) + suffix
        }
    }

    /// A frame as the folded format can hold it: `;` separates frames and a newline ends
    /// the line, so both become `:`/space; overlong names are cut.
    static func clean(_ frame: String) -> String {
        var text = frame
        if text.utf8.count > maxFrameBytes { text = String(decoding: Array(text.utf8.prefix(maxFrameBytes)), as: UTF8.self) }
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ";") || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return String(text.map { $0 == ";" ? ":" : ($0 == "\n" || $0 == "\r" ? " " : $0) })
    }
}
