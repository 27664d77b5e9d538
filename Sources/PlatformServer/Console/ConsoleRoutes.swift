import Foundation
import HTTPTypes
import Hummingbird

/// The console (docs/platform.md, *The console*): `GET /` and its assets under
/// `/console/`, every byte compiled into the program (no file to ship beside the binary,
/// nothing fetched from elsewhere: it works on a network without internet). The pages
/// are a static shell; the script reads and changes everything through `/api/` with the
/// bearer token it keeps in `sessionStorage`, never a cookie, so a request another site
/// makes carries no credential.
struct ConsoleRoutes {
    /// What the browser may do with the console's pages: scripts, styles and requests to
    /// this origin only (no inline script or style: an injected one does not run), images
    /// from here or from the script's own `blob:` URLs (the flame graph shown as an image),
    /// no plug-in, no form posted anywhere, never inside another site's frame.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob:", "connect-src 'self'",
        "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'",
    ].joined(separator: "; ")

    /// The assets by path under `/console/`.
    static let assets: [String: ConsoleAsset] = [
        "icon.svg": ConsoleAsset(type: "image/svg+xml", text: ConsolePage.icon),
        "console.css": ConsoleAsset(type: "text/css; charset=utf-8", text: ConsolePage.style),
        "console.js": ConsoleAsset(type: "text/javascript; charset=utf-8", text: ConsoleScript.core),
        "views.js": ConsoleAsset(type: "text/javascript; charset=utf-8", text: ConsoleScript.views),
        "runs.js": ConsoleAsset(type: "text/javascript; charset=utf-8", text: ConsoleScript.runs),
    ]

    func add(to router: Router<PlatformContext>) {
        router.get("/") { _, _ in Self.answer(ConsoleAsset(type: "text/html; charset=utf-8", text: ConsolePage.html)) }
        router.get("console/:asset") { _, context in
            let name = try context.parameters.require("asset")
            guard let asset = Self.assets[name] else { throw PlatformRefusal(.notFound, "no console asset \(name.prefix(64))") }
            return Self.answer(asset)
        }
    }

    static func answer(_ asset: ConsoleAsset) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: asset.type,
                .contentSecurityPolicy: contentSecurityPolicy,
                HTTPField.Name("X-Frame-Options")!: "DENY",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
                // Served from the program: a new version's console is fetched anew.
                .cacheControl: "no-cache",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text))
        )
    }
}

/// One of the console's files: its media type and its text.
struct ConsoleAsset: Sendable {
    let type: String
    let text: String
}
