import Foundation
import NIOCore

/// The JSON bodies PUT to `<platform-url>/submit` for one run, in this order: one
/// `start`, `chunk`s numbered from 0, one `finished` (docs/delivery.md, docs/platform-openapi.yaml).
///
/// A chunk body is written by hand into one buffer sized up front: the fixed prefix, the
/// base64 straight from the bytes read, the suffix. No intermediate `String`, `Data` or
/// dictionary: the run's output passes through memory once, as its encoding.
public struct SubmitBody: Sendable {
    /// `{"trace":"<filePath>"`, JSON-escaped once per run.
    private let traceMember: [UInt8]
    /// The run file's path: the stream's name on the wire (`trace`).
    public let filePath: String

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
    static let noKey = Array(#","no":"#.utf8)
    static let fieldKey = Array(#","field":""#.utf8)
    static let chunkSuffix = Array(#""}"#.utf8)

    public init(filePath: String) {
        self.filePath = filePath
        self.traceMember = Array(#"{"trace":"#.utf8) + Self.jsonString(filePath)
    }

    /// A JSON string literal, quoted and escaped (encoding a String cannot fail).
    static func jsonString(_ text: String) -> [UInt8] {
        Array((try? encoder.encode(text)) ?? Data(#""""#.utf8))
    }

    /// `{"trace":T,"status":"start"}`
    public func start() -> ByteBuffer {
        ByteBuffer(bytes: traceMember + Array(#","status":"start"}"#.utf8))
    }

    /// `{"trace":T,"no":N,"field":"<base64 of bytes>"}`
    public func chunk(no: Int, bytes: UnsafeRawBufferPointer) -> ByteBuffer {
        let number = Array(String(no).utf8)
        let encodedLength = Base64.encodedLength(of: bytes.count)
        var buffer = ByteBufferAllocator().buffer(
            capacity: traceMember.count + Self.noKey.count + number.count + Self.fieldKey.count + encodedLength + Self.chunkSuffix.count
        )
        buffer.writeBytes(traceMember)
        buffer.writeBytes(Self.noKey)
        buffer.writeBytes(number)
        buffer.writeBytes(Self.fieldKey)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: encodedLength) { destination in
            Base64.encode(bytes, into: destination)
        }
        buffer.writeBytes(Self.chunkSuffix)
        return buffer
    }

    /// `{"trace":T,"stderr":S,"code":C,"status":"finished"}`
    public func finished(stderr: String, code: Int32) -> ByteBuffer {
        ByteBuffer(bytes: traceMember + Array(#","stderr":"#.utf8) + Self.jsonString(stderr) + Array(#","code":\#(code),"status":"finished"}"#.utf8))
    }
}
