/// What one exchange on a connection gave: the answer, and whether the connection may
/// carry the next message (keep-alive, and the answer read to its end).
struct ExchangeResult: Sendable {
    let answer: PlatformAnswer
    let reusable: Bool
}
