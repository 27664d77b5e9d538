import Foundation
import PlatformStore
import Testing

/// platform.yml's `database: postgres://...` read (docs/platform.md, *More than one
/// instance*): what it names, each `sslmode`, and the refusals, whose texts never hold a
/// password.
@Suite struct PostgresLocationTests {
    @Test func theFullFormAndItsDefaults() throws {
        let full = try PostgresLocation(parsing: "postgres://lambda@db.example.org:6543/platform?sslmode=require")
        #expect(full.user == "lambda" && full.host == "db.example.org" && full.port == 6543 && full.database == "platform" && full.tls == .require)
        #expect(full.summary == "postgres://lambda@db.example.org:6543/platform?sslmode=require")
        let short = try PostgresLocation(parsing: "postgresql://ops@10.0.0.5/lambda_platform")
        #expect(short.user == "ops" && short.host == "10.0.0.5" && short.port == 5432 && short.database == "lambda_platform" && short.tls == .prefer)
        // A user name percent-encoded in the URL is the name itself.
        #expect(try PostgresLocation(parsing: "postgres://a%2Bb@h/d").user == "a+b")
        #expect(PostgresLocation.names("postgres://u@h/d") && PostgresLocation.names("postgresql://u@h/d"))
        #expect(!PostgresLocation.names("platform.sqlite") && !PostgresLocation.names("/var/lib/lambda/postgres://x"))
    }

    @Test(arguments: [
        ("disable", PostgresLocation.TLSMode.disable), ("prefer", .prefer), ("require", .require), ("verify-full", .verifyFull),
    ])
    func eachSSLMode(text: String, mode: PostgresLocation.TLSMode) throws {
        let location = try PostgresLocation(parsing: "postgres://u@h:1/d?sslmode=\(text)")
        #expect(location.tls == mode)
        #expect(location.summary == "postgres://u@h:1/d?sslmode=\(text)")
    }

    static let expected = "database: expected postgres://USER@HOST:PORT/DATABASE[?sslmode=disable|prefer|require|verify-full]"

    @Test(arguments: [
        ("postgres://u:hunter2-secret@h/d", "a password in the URL is refused; put it in database-password-file (mode 0600) or PGPASSWORD"),
        ("postgres://u:@h/d", "a password in the URL is refused; put it in database-password-file (mode 0600) or PGPASSWORD"),
        ("postgres://h/d", "no USER"),
        ("postgres://u@/d", "no HOST"),
        ("postgres://u@h", "no DATABASE"),
        ("postgres://u@h:5432/", "no DATABASE"),
        ("postgres://u@h/d/e", "no DATABASE"),
        ("postgres://u@h/d?connect_timeout=5", "unknown parameter connect_timeout"),
        ("postgres://u@h/d?sslmode=require&password=hunter2-secret", "unknown parameter password"),
        ("postgres://u@h/d?sslmode=verify-ca", "sslmode: verify-ca is not one of disable, prefer, require, verify-full"),
        ("postgres://u@h/d?sslmode", "sslmode: no value; one of disable, prefer, require, verify-full"),
        ("postgres://u@h:0/d", "PORT: 1-65535"),
        ("postgres://u@h:70000/d", "PORT: 1-65535"),
        ("mysql://u@h/d", "not such a URL"),
    ])
    func refusals(text: String, why: String) throws {
        let error = #expect(throws: PlatformStoreError.self) { try PostgresLocation(parsing: text) }
        let description = error?.description ?? ""
        #expect(description == "\(Self.expected): \(why)")
        #expect(!description.contains("hunter2"))
    }

    @Test func aPasswordThatBreaksTheURLIsNotRepeated() throws {
        // A password with characters a URL cannot hold unescaped: the text is no URL at all.
        let error = #expect(throws: PlatformStoreError.self) { try PostgresLocation(parsing: "postgres://u:pa ss/wo#rd@h/d") }
        #expect(error?.description.contains("pa ss") == false)
        #expect(error?.description.contains("wo#rd") == false)
    }
}
