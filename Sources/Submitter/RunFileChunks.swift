import NIOCore
import PlatformWire

/// One run's messages as `RunDelivery` sends them: the bodies of `start` and `finished`,
/// and of each chunk, read from the run file and encoded, possibly ahead of its send
/// (`DeliveryStateMachine.Action.send`'s `readAhead`). Memory holds two chunks at most:
/// the one on the wire and the one read ahead.
final class RunFileChunks {
    private let path: String
    private let chunkSize: Int
    private let releasing: Bool
    private let bodies: SubmitBody
    /// Opened at the first chunk: a run with nothing left to send (its file lost while
    /// the endpoint was down) never needs it, and a waiting run holds no descriptor.
    private var reader: RunFileReader?
    private var readAhead: (chunk: DeliveryStateMachine.Chunk, body: ByteBuffer)?

    /// `releasing`: the file is opened for writing too, so `release(before:)` can punch holes.
    init(path: String, chunkSize: Int, releasing: Bool) {
        self.path = path
        self.chunkSize = chunkSize
        self.releasing = releasing
        self.bodies = SubmitBody(filePath: path)
    }

    /// Throws when a chunk's bytes cannot be read (the file was removed or truncated).
    func body(of message: DeliveryStateMachine.Message) throws -> ByteBuffer {
        switch message {
        case .start:
            return bodies.start()
        case .finished(let report):
            return bodies.finished(stderr: report.stderr, code: report.code)
        case .chunk(let chunk):
            let ready = readAhead
            readAhead = nil
            if let ready, ready.chunk == chunk { return ready.body }
            return try read(chunk)
        }
    }

    /// Reads and encodes `chunk` for the next `body(of:)`; a failure is left for that
    /// call to meet and report.
    func readAhead(_ chunk: DeliveryStateMachine.Chunk) {
        readAhead = (try? read(chunk)).map { (chunk, $0) }
    }

    /// Gives the disk blocks before `offset` back (`RunFileReader.release(before:)`).
    func release(before offset: Int64) {
        reader?.release(before: offset)
    }

    private func read(_ chunk: DeliveryStateMachine.Chunk) throws -> ByteBuffer {
        let reader = try reader ?? RunFileReader(path: path, capacity: chunkSize, releasing: releasing)
        self.reader = reader
        return bodies.chunk(no: chunk.no, bytes: try reader.read(offset: chunk.offset, length: chunk.length))
    }
}
