import ProtobufWire

/// A `StackProfile` as pprof's `profile.proto` (github.com/google/pprof, proto/profile.proto):
/// one Function and one Location per distinct frame (the folded names, so `pprof -top`
/// and the folded lines agree), one Sample per stack (locations leaf first, as pprof
/// wants), and the traced binary as the Mapping of the user frames.
public enum PprofProfile {
    /// Field numbers of profile.proto's messages.
    enum Field {
        static let sampleType = 1, sample = 2, mapping = 3, location = 4, function = 5, stringTable = 6
        static let periodType = 11, period = 12
    }

    /// The sample type: `samples`/`count` (cpu-profile and any counted map) or
    /// `off-cpu`/`nanoseconds` (off-cpu's microseconds times 1000).
    public static func sampleType(of unit: StackUnit) -> (type: String, unit: String, scale: Int64) {
        switch unit {
        case .samples: ("samples", "count", 1)
        case .microseconds: ("off-cpu", "nanoseconds", 1000)
        }
    }

    public static func bytes(of profile: StackProfile, binary: TracedBinary?) -> [UInt8] {
        var strings = StringTable()
        let (typeName, unitName, scale) = sampleType(of: profile.unit)
        var writer = ProtobufWriter()
        let type = strings.index(typeName)
        let unit = strings.index(unitName)
        writer.message(Field.sampleType) {
            $0.int64(1, type)
            $0.int64(2, unit)
        }
        for (stack, count) in profile.totals.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let (value, overflow) = count.multipliedReportingOverflow(by: scale)
            writer.message(Field.sample) {
                // Location ids are frame numbers + 1 (0 means none in profile.proto).
                $0.packedVarints(1, stack.reversed().map { UInt64($0) + 1 })
                $0.packedVarints(2, [UInt64(bitPattern: overflow ? .max : value)])
            }
        }
        if let binary {
            let file = strings.index(binary.path)
            let build = strings.index(binary.buildID ?? "")
            writer.message(Field.mapping) {
                $0.uint64(1, 1)
                $0.int64(5, file)
                $0.int64(6, build)
                $0.bool(7, true)  // has_functions: names are known, nothing to symbolise
            }
        }
        for (number, name) in profile.frames.enumerated() {
            let id = UInt64(number) + 1
            let isUser = !name.hasSuffix(StackKey.kernelSuffix)
            writer.message(Field.location) {
                $0.uint64(1, id)
                if binary != nil && isUser { $0.uint64(2, 1) }
                $0.message(4) { $0.uint64(1, id) }
            }
        }
        for (number, name) in profile.frames.enumerated() {
            let nameIndex = strings.index(name)
            writer.message(Field.function) {
                $0.uint64(1, UInt64(number) + 1)
                $0.int64(2, nameIndex)
                $0.int64(3, nameIndex)
            }
        }
        for string in strings.strings { writer.string(Field.stringTable, string) }
        writer.message(Field.periodType) {
            $0.int64(1, type)
            $0.int64(2, unit)
        }
        writer.int64(Field.period, 1)
        return writer.bytes
    }

    /// profile.proto's string table: index 0 is the empty string.
    struct StringTable {
        private(set) var strings = [""]
        private var indexes = ["": Int64(0)]

        mutating func index(_ string: String) -> Int64 {
            if let known = indexes[string] { return known }
            let index = Int64(strings.count)
            strings.append(string)
            indexes[string] = index
            return index
        }
    }
}
