/// The console's HTML shell and its style sheet (docs/platform.md, *The console*). The
/// shell holds no data: `console.js` signs in and draws every view from `/api/`.
enum ConsolePage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>lambda-platform console</title>
        <link rel="icon" href="/console/icon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/console/console.css">
        <script src="/console/console.js" defer></script>
        <script src="/console/views.js" defer></script>
        <script src="/console/runs.js" defer></script>
        </head>
        <body>
        <header>
        <h1>lambda-platform</h1>
        <nav id="nav" hidden>
        <a href="#/endpoints">Endpoints</a>
        <a href="#/sessions">Sessions</a>
        <a href="#/runs">Runs</a>
        <a href="#/events">Events</a>
        <span id="who"></span>
        <button id="sign-out" type="button">Sign out</button>
        </nav>
        </header>
        <main>
        <form id="sign-in" hidden>
        <h2>Sign in</h2>
        <label>Name <input id="sign-in-name" name="name" autocomplete="username" required></label>
        <label>Password <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required></label>
        <button id="sign-in-button" type="submit">Sign in</button>
        <p id="sign-in-error" class="error" role="alert"></p>
        </form>
        <p id="status" class="error" role="status"></p>
        <section id="view"></section>
        </main>
        <noscript>The console needs JavaScript; the same data is at /api/ (docs/platform.md).</noscript>
        </body>
        </html>

        """#

    /// The tab's icon: a λ, served here so the browser asks nothing of `/favicon.ico`.
    static let icon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#20303c"/>
        <path d="M4 14 L7.5 7 L5.5 2 H7.5 L12.5 14 H10.5 L8.5 9 L6 14 Z" fill="#fff"/></svg>

        """#

    static let style = #"""
        body { font-family: sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
        header { display: flex; align-items: center; gap: 2em; padding: 0.5em 1em; background: #20303c; color: #fff; }
        header h1 { font-size: 1.2em; margin: 0; }
        nav { display: flex; align-items: center; gap: 1em; flex: 1; }
        nav a { color: #fff; }
        #who { margin-left: auto; opacity: 0.8; }
        main { padding: 0.5em 1em 2em; }
        form label { display: block; margin: 0.4em 0; }
        form textarea { width: 100%; max-width: 48em; font-family: monospace; }
        table { border-collapse: collapse; margin: 0.5em 0 1em; }
        th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        th { background: #eef1f4; }
        .mono, pre { font-family: monospace; }
        .online { color: #17692e; font-weight: bold; }
        .offline { color: #8a1c1c; }
        .error { color: #a11; }
        .note { color: #555; }
        pre.tail { background: #111; color: #dfe; padding: 0.6em; max-height: 28em; overflow: auto; white-space: pre-wrap; word-break: break-all; }
        dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; }
        dl.run dt { font-weight: bold; }
        dl.run dd { margin: 0; font-family: monospace; }
        svg.histogram rect.bar { fill: #3b7dd8; }
        svg.histogram text { font: 11px monospace; fill: #222; }
        img.flamegraph { max-width: 100%; border: 1px solid #ccc; background: #fff; }
        button + button { margin-left: 0.3em; }

        """#
}
