import Foundation
import FoundationNetworking
import Synchronization

#if canImport(FoundationNetworking)
#endif

/// One GET whose answer a test reads as it arrives (a followed stream: `?follow=true`),
/// through a URLSession data delegate: `received` grows with each piece, `ended` once the
/// answer is complete. Close it with `cancel()` when the test does not read to the end.
public final class StreamReader: NSObject, URLSessionDataDelegate, Sendable {
    private struct State {
        var received = Data()
        var status: Int?
        var ended = false
        var error: String?
    }

    private let state = Mutex(State())
    private let task = Mutex<URLSessionDataTask?>(nil)

    public var received: Data { state.withLock { $0.received } }
    public var status: Int? { state.withLock { $0.status } }
    public var ended: Bool { state.withLock { $0.ended } }

    /// Starts the request.
    public static func open(_ url: String, bearer: String) async throws -> StreamReader {
        let reader = StreamReader()
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 120
        let session = URLSession(configuration: .ephemeral, delegate: reader, delegateQueue: nil)
        let task = session.dataTask(with: request)
        reader.task.withLock { $0 = task }
        task.resume()
        return reader
    }

    public func cancel() { task.withLock { $0?.cancel() } }

    public func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        state.withLock { $0.status = (response as? HTTPURLResponse)?.statusCode }
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        state.withLock { $0.received.append(data) }
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        state.withLock {
            $0.ended = true
            $0.error = error.map { "\($0)" }
        }
        session.finishTasksAndInvalidate()
    }

    /// Waits until what was received is `expected` exactly (a prefix is not enough).
    public func waitFor(_ expected: Data, timeout: Duration = .seconds(20)) async throws {
        try await eventually("the followed stream holds \(expected.count) bytes (has \(received.count))", timeout: timeout) {
            received == expected
        }
    }

    public func waitForEnd(timeout: Duration = .seconds(20)) async throws {
        try await eventually("the followed stream ends", timeout: timeout) { ended }
    }
}
