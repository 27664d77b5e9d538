/// Why a send got no answer. None of them repeats the Authorization header or the URL's
/// text (platform-url is checked for credentials, but an invalid one may still hold some).
public enum PlatformClientError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidURL
    case timedOut(seconds: Int64)
    /// The connection ended (EOF or reset) before the whole answer arrived.
    case closedBeforeAnswer
    /// Bytes arrived while no request was waiting for an answer: the connection is out of
    /// step with the platform and is closed.
    case unsolicitedAnswer
    /// An answer whose body was kept (`PlatformClient.request`) was longer than allowed.
    case answerTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .invalidURL: "platform-url is not an http:// or https:// URL with a host"
        case .timedOut(let seconds): "no whole answer within \(seconds) s"
        case .closedBeforeAnswer: "the platform closed the connection before the whole answer arrived"
        case .unsolicitedAnswer: "the platform sent an answer to no request"
        case .answerTooLarge(let limit): "the platform's answer is longer than \(limit) bytes"
        }
    }
}
