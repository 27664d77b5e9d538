import EndpointTestSupport
import Foundation
import Testing

@testable import PlatformServer

/// `GET /` and `/console/...`: the console's files come from the program itself, with the
/// headers that keep its pages to this origin (docs/platform.md, *The console*).
@Suite("The console's pages")
struct ConsoleRoutesTests {
    static let expectedPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    /// The headers every console answer carries.
    static func expectConsoleHeaders(_ answer: HTTPAnswer, _ what: String) {
        #expect(answer.headers["content-security-policy"] == expectedPolicy, "\(what): \(answer.headers)")
        #expect(answer.headers["x-frame-options"] == "DENY", "\(what)")
        #expect(answer.headers["x-content-type-options"] == "nosniff", "\(what)")
        #expect(answer.headers["referrer-policy"] == "no-referrer", "\(what)")
        #expect(answer.headers["set-cookie"] == nil, "\(what) sets no cookie")
    }

    /// The `src` and `href` values of `html`.
    static func references(in html: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"(?:src|href)="([^"]*)""#)
        return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { String(html[Range($0.range(at: 1), in: html)!]) }
    }

    @Test("GET / is the shell: HTML whose scripts and style sheet are /console/ files served here, each with its type and the console's headers")
    func shellAndAssets() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let page = try await platform.call("GET", "/")
        #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
        Self.expectConsoleHeaders(page, "GET /")
        let assets = Self.references(in: page.text).filter { !$0.hasPrefix("#") }
        #expect(
            assets.sorted() == ["/console/console.css", "/console/console.js", "/console/icon.svg", "/console/runs.js", "/console/views.js"],
            "\(assets)"
        )
        for path in assets {
            let asset = try await platform.call("GET", path)
            let type = [".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".js": "text/javascript; charset=utf-8"]
                .first { path.hasSuffix($0.key) }?.value
            #expect(asset.status == 200 && asset.headers["content-type"] == type && !asset.body.isEmpty, "\(path): \(asset.status)")
            Self.expectConsoleHeaders(asset, path)
        }
    }

    @Test(
        "Nothing from another origin: no URL in the shell or its files but the SVG namespace, no inline script or style, no page built from HTML text"
    )
    func nothingFromElsewhere() throws {
        let texts = ["/": ConsolePage.html].merging(ConsoleRoutes.assets.mapValues(\.text)) { $1 }
        let url = try NSRegularExpression(pattern: #"[a-z]+://[^"' )]*|//[a-z0-9.-]+\.[a-z]{2,}"#, options: [.caseInsensitive])
        for (name, text) in texts {
            let found = url.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
            #expect(found.allSatisfy { $0 == "http://www.w3.org/2000/svg" }, "\(name): \(found)")
            for unsafe in [
                "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage", "document.cookie",
            ] {
                #expect(!text.contains(unsafe), "\(name) uses \(unsafe)")
            }
        }
        let html = ConsolePage.html
        #expect(!html.contains("<style") && !html.contains("style="), "no inline style")
        #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "no inline handler")
        let scripts = html.components(separatedBy: "<script").dropFirst()
        #expect(scripts.count == 3 && scripts.allSatisfy { $0.hasPrefix(" src=\"/console/") }, "every script is a file of the console")
    }

    @Test("An unknown console file is 404; the API behind the console still wants a token")
    func unknownAssetAndAPI() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        for path in ["/console/missing.js", "/console/", "/console/..%2Fplatform.yml"] {
            let answer = try await platform.call("GET", path)
            #expect(answer.status == 404, "\(path): \(answer.status) \(answer.text)")
        }
        #expect(try await platform.call("GET", "/api/endpoints").status == 401)
        #expect(try await platform.call("GET", "/api/sessions").status == 401)
    }
}
