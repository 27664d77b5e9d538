/// A flame graph as one self-contained SVG (no script, style or font from elsewhere):
/// the root at the bottom, each frame as wide as its samples, a `<title>` per frame with
/// its count and share. Opened in a browser, its inline script zooms into a clicked frame
/// and searches frames by a regular expression; as a static image it is the whole graph
/// with the names that fit written in.
public enum FlameGraphSVG {
    static let width = 1200.0
    static let frameHeight = 16.0
    static let padding = 10.0
    static let top = 40.0
    /// Narrower frames are not drawn (as flamegraph.pl's `--minwidth`): thousands of
    /// sub-pixel rectangles would make the file large and show nothing.
    static let minimumWidth = 0.1
    /// Width of one character of the 12 px monospace font, to cut names that do not fit.
    static let characterWidth = 7.2

    public static func svg(of profile: StackProfile, title: String) -> String {
        let tree = FlameTree(profile.sortedStacks)
        let total = max(tree.root.count, 1)
        let scale = (width - 2 * padding) / Double(total)
        let frames = tree.placed(minimumCount: Int64((minimumWidth / scale).rounded(.up)))
        let depth = (frames.map(\.depth).max() ?? 0) + 1
        let height = top + Double(depth) * frameHeight + 2 * padding
        let unit = profile.unit == .microseconds ? "µs" : "samples"
        var out = """
            <?xml version="1.0" encoding="UTF-8" standalone="no"?>
            <svg version="1.1" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" \
            xmlns="http://www.w3.org/2000/svg" data-total="\(total)" data-unit="\(unit)" onload="flameInit(evt)">
            <style>text { font-family: monospace; font-size: 12px; fill: #000; } g.f:hover rect { stroke: #000; stroke-width: 0.5; } \
            g.f { cursor: pointer; } .hidden { display: none; } #search, #reset { cursor: pointer; fill: #333; }</style>
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#f8f8f0"/>
            <text x="\(Int(width / 2))" y="20" text-anchor="middle" style="font-size: 16px">\(escape(title))</text>
            <text id="reset" x="\(Int(padding))" y="20" class="hidden">Reset zoom</text>
            <text id="search" x="\(Int(width - padding))" y="20" text-anchor="end">Search</text>
            <text id="matched" x="\(Int(width - padding))" y="\(Int(height - 4))" text-anchor="end"> </text>

            """
        for frame in frames {
            let x = padding + Double(frame.start) * scale
            let w = Double(frame.count) * scale
            let y = height - padding - Double(frame.depth + 1) * frameHeight
            let share = Double(frame.count) * 100 / Double(total)
            let name = escape(frame.name)
            out += """
                <g class="f" data-x="\(frame.start)" data-w="\(frame.count)" data-d="\(frame.depth)" data-n="\(name)">\
                <title>\(name) (\(frame.count) \(unit), \(format(share))%)</title>\
                <rect x="\(format(x))" y="\(format(y))" width="\(format(w))" height="\(format(frameHeight - 1))" fill="\(color(frame.name))" rx="2"/>\
                <text x="\(format(x + 3))" y="\(format(y + frameHeight - 4))">\(escape(label(frame.name, width: w)))</text></g>

                """
        }
        out += "<script type=\"text/ecmascript\"><![CDATA[\n" + script + "\n]]></script>\n</svg>\n"
        return out
    }

    /// The part of `name` that fits in `width` pixels, cut with "..".
    static func label(_ name: String, width: Double) -> String {
        let fits = Int((width - 6) / characterWidth)
        if fits < 3 { return "" }
        return name.count <= fits ? name : String(name.prefix(fits - 2)) + ".."
    }

    static func format(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        let whole = Int64(hundredths / 100)
        let fraction = Int64(abs(hundredths).truncatingRemainder(dividingBy: 100))
        return fraction == 0 ? "\(whole)" : "\(whole)." + (fraction < 10 ? "0\(fraction)" : "\(fraction)")
    }

    /// Kernel frames orange, user frames red to yellow, the same name always the same colour.
    static func color(_ name: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let spread = Int(hash % 55)
        if name.hasSuffix(StackKey.kernelSuffix) { return "rgb(230,\(120 + spread),40)" }
        return "rgb(\(200 + spread),\(60 + Int((hash >> 8) % 150)),\(40 + Int((hash >> 16) % 30)))"
    }

    /// XML text and attribute escaping; control characters XML 1.0 forbids become U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t": out += " "
            default: out.unicodeScalars.append(scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }

    /// Zoom: a clicked frame fills the width, its ancestors stay, frames beside it hide.
    /// Search: frames whose name matches a regular expression turn magenta, with their
    /// share of the whole.
    static let script = """
        var svg, frames, total, width = \(width), pad = \(padding), scale;
        function flameInit(evt) {
          svg = evt.target.ownerDocument ? evt.target.ownerDocument.documentElement : document.documentElement;
          frames = Array.prototype.slice.call(svg.querySelectorAll("g.f"));
          total = +svg.getAttribute("data-total");
          frames.forEach(function (g) { g.addEventListener("click", function () { zoom(g); }); });
          svg.getElementById("reset").addEventListener("click", function () { zoom(frames[0]); });
          svg.getElementById("search").addEventListener("click", search);
        }
        function num(g, name) { return +g.getAttribute("data-" + name); }
        function fit(name, w) {
          var n = Math.floor((w - 6) / \(characterWidth));
          if (n < 3) return "";
          return name.length <= n ? name : name.slice(0, n - 2) + "..";
        }
        function zoom(target) {
          var zx = num(target, "x"), zw = num(target, "w"), zd = num(target, "d");
          var k = (width - 2 * pad) / zw;
          frames.forEach(function (g) {
            var x = num(g, "x"), w = num(g, "w"), d = num(g, "d");
            var inside = x >= zx && x + w <= zx + zw, below = d < zd && x <= zx && x + w >= zx + zw;
            g.setAttribute("class", inside || below ? "f" : "f hidden");
            if (!(inside || below)) return;
            var nx = below ? pad : pad + (x - zx) * k, nw = below ? width - 2 * pad : w * k;
            var r = g.querySelector("rect"), t = g.querySelector("text");
            r.setAttribute("x", nx); r.setAttribute("width", nw);
            t.setAttribute("x", nx + 3); t.textContent = fit(g.getAttribute("data-n"), nw);
          });
          svg.getElementById("reset").setAttribute("class", target === frames[0] ? "hidden" : "");
        }
        function search() {
          var term = window.prompt("Search frames (regular expression)", "");
          var matched = 0, seen = [];
          var re = term ? new RegExp(term) : null;
          frames.forEach(function (g) {
            var hit = re && re.test(g.getAttribute("data-n"));
            var r = g.querySelector("rect");
            if (!r.getAttribute("data-fill")) r.setAttribute("data-fill", r.getAttribute("fill"));
            r.setAttribute("fill", hit ? "rgb(230,0,230)" : r.getAttribute("data-fill"));
            if (hit && !seen.some(function (s) { return num(g, "x") >= s[0] && num(g, "x") < s[1]; })) {
              matched += num(g, "w"); seen.push([num(g, "x"), num(g, "x") + num(g, "w")]);
            }
          });
          svg.getElementById("matched").textContent = re ? "Matched: " + (100 * matched / total).toFixed(2) + "%" : " ";
        }
        """
}
