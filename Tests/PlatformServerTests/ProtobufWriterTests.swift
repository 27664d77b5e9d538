import ProtobufWire
import Testing

/// The wire format against the examples of protobuf.dev's "Encoding" page, byte for byte.
@Suite("Protocol Buffers writer")
struct ProtobufWriterTests {
    static func written(_ build: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var writer = ProtobufWriter()
        build(&writer)
        return writer.bytes
    }

    @Test("Varints: 150 in field 1 is 08 96 01; a negative int64 takes ten bytes")
    func varints() {
        #expect(Self.written { $0.uint64(1, 150) } == [0x08, 0x96, 0x01])
        #expect(Self.written { $0.int64(1, -2) } == [0x08, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(Self.written { $0.bool(3, true) } == [0x18, 0x01])
    }

    @Test("Strings and nested messages are their bytes behind their length")
    func lengthDelimited() {
        #expect(Self.written { $0.string(2, "testing") } == [0x12, 0x07] + Array("testing".utf8))
        #expect(Self.written { $0.message(3) { $0.uint64(1, 150) } } == [0x1A, 0x03, 0x08, 0x96, 0x01])
    }

    @Test("Packed repeated varints and fixed64 little-endian")
    func packedAndFixed() {
        #expect(Self.written { $0.packedVarints(4, [3, 270, 86942]) } == [0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05])
        #expect(Self.written { $0.fixed64(1, 0x0102_0304_0506_0708) } == [0x09, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
    }
}
