import EndpointTestSupport
import Foundation
import FoundationNetworking
import PlatformServer
import PlatformStore
import Testing

@Suite("Accounts and tokens: login, its throttle, logout, expiry, roles, the admin's account routes")
struct AccountRoutesTests {
    let password = "correct-horse-battery"

    /// An account made through the admin's route (a real argon2id hash), and the admin's token.
    func account(_ platform: TestPlatform, _ name: String, role: String) async throws -> String {
        let admin = try await platform.token("admin")
        let made = try await platform.call(
            "POST",
            "/api/accounts",
            bearer: admin,
            json: #"{"name": "\#(name)", "role": "\#(role)", "password": "\#(password)"}"#
        )
        #expect(made.status == 201, "\(made.text)")
        return admin
    }

    func login(_ platform: TestPlatform, _ name: String, _ password: String) async throws -> HTTPAnswer {
        try await platform.call("POST", "/api/login", json: #"{"name": "\#(name)", "password": "\#(password)"}"#)
    }

    @Test("Each role's 401/403 matrix over the routes of accounts and endpoints")
    func roles() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let unknown = String(repeating: "0", count: 64)
        let routes: [(method: String, path: String, json: String?, least: AccountRole)] = [
            ("GET", "/api/endpoints", nil, .viewer),
            ("GET", "/api/accounts", nil, .admin),
            ("POST", "/api/accounts", #"{"name": "made", "role": "viewer", "password": "a-long-password"}"#, .admin),
            ("DELETE", "/api/accounts/made", nil, .admin),
            ("DELETE", "/api/endpoints/\(TestPlatform.second.uuid)", nil, .admin),
        ]
        for route in routes {
            #expect(try await platform.call(route.method, route.path, json: route.json).status == 401, "\(route.path) without a token")
            #expect(try await platform.call(route.method, route.path, bearer: unknown, json: route.json).status == 401, "\(route.path) unknown token")
        }
        #expect(try await platform.call("POST", "/api/logout").status == 401)
        for role in AccountRole.allCases {
            let token = try await platform.token(role.rawValue)
            for route in routes {
                let status = try await platform.call(route.method, route.path, bearer: token, json: route.json).status
                if role >= route.least {
                    #expect([200, 201, 204].contains(status), "\(role) \(route.method) \(route.path): \(status)")
                } else {
                    #expect(status == 403, "\(role) \(route.method) \(route.path): \(status)")
                }
            }
        }
    }

    @Test("Login: the right password gives a token that works until its expiry; a wrong one or an unknown name is 401")
    func loginAndExpiry() async throws {
        let time = MovableClock()
        let platform = try await TestPlatform(configure: { $0.tokenHours = 2 }, clock: time.clock)
        defer { Task { await platform.stop() } }
        _ = try await account(platform, "viewer-1", role: "viewer")
        #expect(try await login(platform, "viewer-1", "not-the-password").status == 401)
        #expect(try await login(platform, "nobody", password).status == 401)
        let answer = try await login(platform, "viewer-1", password)
        #expect(answer.status == 200)
        let issued = try answer.json([String: String].self)
        let token = try #require(issued["token"])
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let expires = try #require(issued["expires"].flatMap(formatter.date(from:)))
        #expect(abs(expires.timeIntervalSinceNow - 7200) < 60)
        #expect(try await platform.call("GET", "/api/endpoints", bearer: token).status == 200)
        time.advance(seconds: 7190)
        #expect(try await platform.call("GET", "/api/endpoints", bearer: token).status == 200)
        time.advance(seconds: 20)
        #expect(try await platform.call("GET", "/api/endpoints", bearer: token).status == 401)
    }

    @Test(
        "From the 6th failure within a minute every login of that name from that address is 429, the right password too, until the minute has passed"
    )
    func throttle() async throws {
        let time = MovableClock()
        let platform = try await TestPlatform(clock: time.clock)
        defer { Task { await platform.stop() } }
        _ = try await account(platform, "ops", role: "operator")
        _ = try await account(platform, "other", role: "viewer")
        for attempt in 1...5 {
            #expect(try await login(platform, "ops", "wrong-\(attempt)").status == 401, "failure \(attempt)")
            time.advance(seconds: 1)
        }
        let sixth = try await login(platform, "ops", "wrong-6")
        #expect(sixth.status == 429)
        #expect(sixth.headers["retry-after"] == "60")
        #expect(sixth.text == #"{"error":"too many failed logins for ops from this address; wait a minute"}"#)
        #expect(try await login(platform, "ops", password).status == 429)
        // Another name from the same address is not slowed.
        #expect(try await login(platform, "other", password).status == 200)
        time.advance(seconds: 55)
        #expect(try await login(platform, "ops", password).status == 200)
    }

    @Test("Twenty wrong logins sent at once: five are checked (401), fifteen are 429 before any argon2 run")
    func throttleUnderConcurrency() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        _ = try await account(platform, "target", role: "admin")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for attempt in 0..<20 { group.addTask { try await login(platform, "target", "guess-\(attempt)").status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 401 }.count == 5)
        #expect(statuses.filter { $0 == 429 }.count == 15)
        #expect(try await LoginFailureStore(database: platform.platform.database).count() == 5)
    }

    @Test("Logout ends the token at once; removing an account ends its tokens")
    func logoutAndRemoval() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let admin = try await account(platform, "leaving", role: "viewer")
        let first = try await login(platform, "leaving", password).json([String: String].self)["token"]!
        let second = try await login(platform, "leaving", password).json([String: String].self)["token"]!
        #expect(try await platform.call("POST", "/api/logout", bearer: first).status == 204)
        #expect(try await platform.call("GET", "/api/endpoints", bearer: first).status == 401)
        #expect(try await platform.call("GET", "/api/endpoints", bearer: second).status == 200)
        #expect(try await platform.call("DELETE", "/api/accounts/leaving", bearer: admin).status == 204)
        #expect(try await platform.call("GET", "/api/endpoints", bearer: second).status == 401)
        #expect(try await platform.call("DELETE", "/api/accounts/leaving", bearer: admin).status == 404)
        #expect(try await login(platform, "leaving", password).status == 401)
    }

    @Test("Accounts listed without hashes; bad fields are 400 naming the field (never the password), a taken name and max-accounts 409")
    func accountRoutes() async throws {
        let platform = try await TestPlatform(configure: { $0.maxAccounts = 3 })
        defer { Task { await platform.stop() } }
        let admin = try await account(platform, "alice", role: "operator")
        let listed = try await platform.call("GET", "/api/accounts", bearer: admin)
        #expect(listed.status == 200)
        #expect(!listed.text.contains("argon2") && !listed.text.contains("hash") && !listed.text.contains(password))
        let accounts = try listed.json([[String: String]].self)
        #expect(accounts.map { $0["name"]! }.contains("alice"))
        #expect(accounts.first { $0["name"] == "alice" }?["role"] == "operator")
        #expect(accounts.allSatisfy { Set($0.keys) == ["name", "role", "created"] })

        func create(_ json: String) async throws -> HTTPAnswer { try await platform.call("POST", "/api/accounts", bearer: admin, json: json) }
        let shortPassword = try await create(#"{"name": "bob", "role": "viewer", "password": "seven77"}"#)
        #expect(shortPassword.status == 400 && shortPassword.text == #"{"error":"password: 8 to 1024 bytes"}"#)
        let badName = try await create(#"{"name": "bob smith", "role": "viewer", "password": "long-enough"}"#)
        #expect(badName.status == 400 && badName.text == #"{"error":"name: 1-64 of [A-Za-z0-9._-]"}"#)
        let badRole = try await create(#"{"name": "bob", "role": "root", "password": "long-enough"}"#)
        #expect(badRole.status == 400 && badRole.text == #"{"error":"role: admin, operator or viewer"}"#)
        let missing = try await create(#"{"name": "bob", "role": "viewer"}"#)
        #expect(missing.status == 400 && missing.text == #"{"error":"password: missing"}"#)
        #expect(try await create(#"{"name": "alice", "role": "viewer", "password": "long-enough"}"#).status == 409)
        // The admin made by `token` and alice hold two of three places.
        #expect(try await create(#"{"name": "carol", "role": "viewer", "password": "long-enough"}"#).status == 201)
        let full = try await create(#"{"name": "dave", "role": "viewer", "password": "long-enough"}"#)
        #expect(full.status == 409 && full.text.contains("max-accounts"))
        #expect(try await AccountStore(database: platform.platform.database).count() == 3)
    }

    @Test("A state-changing /api request whose body is not JSON is 415 and changes nothing")
    func onlyJSONBodies() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let admin = try await platform.token("admin")
        for contentType in ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"] {
            let answer = try await post(
                platform,
                "/api/accounts",
                bearer: admin,
                body: #"{"name": "sneaky", "role": "admin", "password": "long-enough"}"#,
                contentType: contentType
            )
            #expect(answer.status == 415, "\(contentType)")
            let error = try JSONDecoder().decode([String: String].self, from: Data(answer.text.utf8))
            #expect(error == ["error": "Content-Type: application/json expected for a body"])
        }
        let login = try await post(platform, "/api/login", body: "name=a&password=b", contentType: "text/plain")
        #expect(login.status == 415)
        #expect(try await AccountStore(database: platform.platform.database).account("sneaky") == nil)
        let charset = try await post(
            platform,
            "/api/accounts",
            bearer: admin,
            body: #"{"name": "fine", "role": "viewer", "password": "long-enough"}"#,
            contentType: "application/json; charset=utf-8"
        )
        #expect(charset.status == 201)
    }

    /// A POST with the Content-Type given, as a cross-site form would send it.
    func post(
        _ platform: TestPlatform,
        _ path: String,
        bearer: String? = nil,
        body: String,
        contentType: String
    ) async throws -> (status: Int, text: String) {
        var request = URLRequest(url: URL(string: platform.url + path)!)
        request.httpMethod = "POST"
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        request.httpBody = Data(body.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }
}
