/// Protocol Buffers' wire format, written by hand for the two messages the platform sends
/// (pprof's `profile.proto`, OTLP's `ExportLogsServiceRequest`): a field is a tag (its
/// number and wire type) then its value; a nested message is its bytes behind their
/// length. Generated code (swift-protobuf) would need protoc at build time for two
/// messages of a dozen fields each.
///
/// Scalars equal to their default (0, empty) are written all the same: proto3 readers
/// accept both, and a field the caller wrote is easier to find in a hex dump.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// The wire types this writer uses.
    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    public mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// Base-128, low group first, the high bit saying more follow.
    public mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    public mutating func uint64(_ field: Int, _ value: UInt64) {
        tag(field, .varint)
        varint(value)
    }

    /// `int64`/`int32`: two's complement as a varint (a negative value takes 10 bytes).
    public mutating func int64(_ field: Int, _ value: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    public mutating func bool(_ field: Int, _ value: Bool) {
        tag(field, .varint)
        varint(value ? 1 : 0)
    }

    public mutating func fixed64(_ field: Int, _ value: UInt64) {
        tag(field, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    public mutating func double(_ field: Int, _ value: Double) {
        fixed64(field, value.bitPattern)
    }

    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A nested message: `build` writes its fields.
    public mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        bytes(field, nested.bytes)
    }

    /// A `repeated` varint field, packed (one length-delimited run, as proto3 writes it).
    public mutating func packedVarints(_ field: Int, _ values: [UInt64]) {
        var packed = ProtobufWriter()
        for value in values { packed.varint(value) }
        bytes(field, packed.bytes)
    }
}
