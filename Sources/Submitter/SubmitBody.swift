import Foundation
import NIOCore

/// The JSON bodies PUT to `<platform-url>/submit` for one run, in this order: one
/// `start`, `chunk`s numbered from 0, one `finished` (SPEC "Submit protocol").
///
/// A chunk body is written by hand into one buffer sized up front: the fixed prefix, the
/// base64 straight from the bytes read, the suffix. No intermediate `String`, `Data` or
/// dictionary: the run's output passes through memory once, as its encoding.
public struct SubmitBody: Sendable {
    /// `{"trace":"<filePath>","no":`, JSON-escaped once per run.
    private let chunkPrefix: [UInt8]
    public let trace: String

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
    static let fieldKey = Array(#","field":""#.utf8)
    static let chunkSuffix = Array(#""}"#.utf8)

    public init(trace: String) {
        self.trace = trace
        // Encoding a String cannot fail.
        let quoted = (try? Self.encoder.encode(trace)) ?? Data("\"\"".utf8)
        self.chunkPrefix = Array(#"{"trace":"#.utf8) + Array(quoted) + Array(#","no":"#.utf8)
    }

    /// `{"trace":T,"status":"start"}`
    public func start() -> ByteBuffer {
        encoded(Start(trace: trace))
    }

    /// `{"trace":T,"no":N,"field":"<base64 of bytes>"}`
    public func chunk(no: Int, bytes: UnsafeRawBufferPointer) -> ByteBuffer {
        let number = Array(String(no).utf8)
        let encodedLength = Base64.encodedLength(of: bytes.count)
        var buffer = ByteBufferAllocator().buffer(capacity: chunkPrefix.count + number.count + Self.fieldKey.count + encodedLength + Self.chunkSuffix.count)
        buffer.writeBytes(chunkPrefix)
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
        encoded(Finished(trace: trace, stderr: stderr, code: code))
    }

    private struct Start: Encodable {
        let trace: String
        let status = "start"
    }

    private struct Finished: Encodable {
        let trace: String
        let stderr: String
        let code: Int32
        let status = "finished"
    }

    private func encoded(_ value: some Encodable) -> ByteBuffer {
        // Strings and integers always encode.
        ByteBuffer(bytes: (try? Self.encoder.encode(value)) ?? Data())
    }
}
