import Authentication
import Credentials
import EndpointTestSupport
import Submitter
import Testing

@Suite("The outgoing Authorization header")
struct OutgoingAuthorizationTests {
    @Test("Our outgoing header is what the argon2 CLI produces for the same salt")
    func outgoingHeaderMatchesCLI() throws {
        let salt = Array("saltsaltsalt1".utf8)
        #expect(try Argon2.hashEncoded(password: Argon2Vectors.secret, salt: salt) == Argon2Vectors.argon2i)
        let outgoing = try OutgoingAuthorization(endpointUUID: TestConfigDirectory.endpointUUID, secret: Argon2Vectors.secret)
        let header = try #require(AuthorizationHeader(parsing: outgoing.headerValue))
        #expect(header.uuid == TestConfigDirectory.endpointUUID)
        #expect(header.hash.variant == .i && header.hash.memoryKiB == 4096 && header.hash.timeCost == 3 && header.hash.parallelism == 1)
        #expect(Argon2.verify(encoded: header.hash.encoded, password: Argon2Vectors.secret, variant: .i))
        #expect(!outgoing.headerValue.contains(Argon2Vectors.secret))
    }
}
