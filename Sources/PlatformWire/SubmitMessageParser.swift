import Foundation
import NIOCore

/// Turns a `/submit` body into a `SubmitMessage`.
///
/// A chunk as the endpoint writes it, `{"trace":"...","no":N,"field":"..."}` with no
/// whitespace, takes a fast path: the trace string alone goes through JSONDecoder, and
/// the base64 is decoded straight from the request buffer (Foundation's scanner and
/// decoder were half of the receiver's time at 1 MiB chunks). Any other spelling of the
/// same JSON (key order, spaces, escapes in `field`) takes the general path, JSONDecoder,
/// with the same result.
public enum SubmitMessageParser {
    public enum Failure: Error, Equatable {
        case notASubmitMessage
        case badBase64(no: Int)
    }

    public static func parse(_ body: ByteBuffer) throws -> SubmitMessage {
        if let message = try fastChunk(body) { return message }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(body.readableBytesView))
        } catch {
            throw Failure.notASubmitMessage
        }
        switch envelope {
        case .start(let trace): return .start(trace: trace)
        case let .finished(trace, stderr, code): return .finished(trace: trace, stderr: stderr, code: code)
        case let .chunk(trace, no, field):
            guard let bytes = decodeBase64(field.utf8) else { throw Failure.badBase64(no: no) }
            return .chunk(trace: trace, no: no, bytes: bytes)
        }
    }

    static let tracePrefix = Array(#"{"trace":""#.utf8)
    static let noKey = Array(#","no":"#.utf8)
    static let fieldKey = Array(#","field":""#.utf8)

    /// nil when `body` is not in the endpoint's exact chunk shape.
    static func fastChunk(_ body: ByteBuffer) throws -> SubmitMessage? {
        try body.withUnsafeReadableBytes { bytes -> SubmitMessage? in
            guard bytes.starts(with: tracePrefix) else { return nil }
            // The trace string: up to the first quote not escaped by a backslash.
            var index = tracePrefix.count
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count,
                let trace = try? JSONDecoder().decode(String.self, from: Data(bytes[(tracePrefix.count - 1)...index]))
            else { return nil }
            index += 1
            guard bytes[index...].starts(with: noKey) else { return nil }
            index += noKey.count
            var no = 0
            let digitsStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]), index - digitsStart < 18 {
                no = no * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index > digitsStart, bytes[index...].starts(with: fieldKey) else { return nil }
            index += fieldKey.count
            // Base64 has no quote or backslash: the field ends at `"}`, the body's end.
            guard bytes.count >= index + 2, bytes[bytes.count - 2] == UInt8(ascii: "\""), bytes[bytes.count - 1] == UInt8(ascii: "}") else {
                return nil
            }
            let field = UnsafeRawBufferPointer(rebasing: bytes[index..<(bytes.count - 2)])
            if !field.isEmpty,
                memchr(field.baseAddress!, Int32(UInt8(ascii: "\"")), field.count) != nil
                    || memchr(field.baseAddress!, Int32(UInt8(ascii: "\\")), field.count) != nil
            {
                return nil
            }
            guard let decoded = decodeBase64(field) else { throw Failure.badBase64(no: no) }
            return .chunk(trace: trace, no: no, bytes: decoded)
        }
    }

    static func decodeBase64(_ field: some Collection<UInt8>) -> Data? {
        let decode = { (source: UnsafeRawBufferPointer) -> Data? in
            var data = Data(count: Base64.maxDecodedLength(of: source.count))
            guard let count = data.withUnsafeMutableBytes({ Base64.decode(source, into: $0) }) else { return nil }
            data.removeSubrange(count...)
            return data
        }
        if let result = field.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(field).withUnsafeBytes(decode)
    }

    /// The general path: any valid JSON spelling of the three messages.
    enum Envelope: Decodable {
        case start(trace: String)
        case chunk(trace: String, no: Int, field: String)
        case finished(trace: String, stderr: String, code: Int32)

        enum CodingKeys: String, CodingKey { case trace, status, no, field, stderr, code }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let trace = try container.decode(String.self, forKey: .trace)
            if let no = try container.decodeIfPresent(Int.self, forKey: .no) {
                self = .chunk(trace: trace, no: no, field: try container.decode(String.self, forKey: .field))
                return
            }
            switch try container.decode(String.self, forKey: .status) {
            case "start": self = .start(trace: trace)
            case "finished":
                self = .finished(
                    trace: trace,
                    stderr: try container.decode(String.self, forKey: .stderr),
                    code: try container.decode(Int32.self, forKey: .code)
                )
            default:
                throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "expected start or finished")
            }
        }
    }
}
