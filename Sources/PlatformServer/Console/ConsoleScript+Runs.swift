extension ConsoleScript {
    /// Runs: the list, one run's page with a live tail of its stream, its histograms drawn
    /// as charts and its flame graph.
    static let runs = #"""
        "use strict";
        (() => {
          const { el, table, when, json, call, register, onLeave } = Console;
          // The tail keeps the newest this many characters on the page: a long run's stream
          // stays readable at /api/runs/{id}/stream, not in the page's memory.
          const tailLimit = 256 * 1024;
          // Histograms drawn at most: a run with many keys stays a page, not thousands of charts.
          const maxCharts = 64;
          const svgNS = "http://www.w3.org/2000/svg";

          register(/^\/runs(?:\?(.*))?$/, async ([, query], view) => {
            const filter = new URLSearchParams(query || "");
            const asked = new URLSearchParams({ limit: "100" });
            for (const key of ["endpoint", "session"]) if (filter.get(key)) asked.set(key, filter.get(key));
            const runs = await json("GET", "/api/runs?" + asked);
            view.append(el("h2", {}, "Runs"));
            if (!runs.length) { view.append(el("p", { class: "note" }, "No run yet.")); return; }
            const rows = runs.map((r) => el("tr", {},
              el("td", {}, el("a", { href: "#/runs/" + r.id }, r.id)), el("td", { class: "mono" }, r.endpoint),
              el("td", {}, r.analysis || "—"), el("td", {}, when(r.started)), el("td", {}, when(r.finished)),
              el("td", {}, r.code === null ? "—" : r.code), el("td", {}, r.bytes), el("td", {}, r.complete ? "yes" : "no")));
            view.append(table(["Run", "Endpoint", "Analysis", "Started", "Finished", "Code", "Bytes", "Complete"], rows, { id: "runs" }));
          });

          register(/^\/runs\/([A-Za-z0-9_-]{1,64})$/, async ([, id], view) => {
            const run = await json("GET", "/api/runs/" + id);
            const facts = runFacts(run);
            view.append(el("h2", {}, "Run " + run.id), facts);
            const tail = el("pre", { id: "tail", class: "tail" });
            const tailState = el("p", { id: "tail-state", class: "note" });
            const histograms = el("div", { id: "histograms" });
            const flamegraph = el("div", { id: "flamegraph" });
            view.append(el("h3", {}, "Stream"), tailState, tail, el("h3", {}, "Histograms"), histograms, el("h3", {}, "Flame graph"), flamegraph);
            // Drawn now from what has arrived, and again once the run has finished: a live
            // run's maps come with its intervals and its end.
            const pictures = () => Promise.all([showHistograms(run.id, histograms), showFlamegraph(run.id, flamegraph)]);
            follow(run.id, tail, tailState, facts).then((finished) => finished && !run.finished ? pictures() : undefined);
            await pictures();
          });

          // The live tail: GET /api/runs/{id}/stream?follow=true read as it arrives
          // (fetch + ReadableStream), ended when the page changes.
          function runFacts(run) {
            const facts = [["Endpoint", run.endpoint], ["Session", run.session], ["Analysis", run.analysis], ["File", run.filePath],
              ["Started", when(run.started)], ["Finished", when(run.finished)], ["Exit code", run.code], ["Bytes", run.bytes],
              ["Complete", run.complete ? "yes" : "no"], ["Standard error", run.stderr]];
            return el("dl", { class: "run", id: "run-facts" },
              facts.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value === null || value === undefined || value === "" ? "—" : value)]));
          }

          async function follow(id, tail, state, facts) {
            const abort = new AbortController();
            onLeave(() => abort.abort());
            const decoder = new TextDecoder();
            let text = "";
            state.textContent = "Following the stream…";
            try {
              const answer = await call("GET", "/api/runs/" + id + "/stream?follow=true", undefined, abort.signal);
              const reader = answer.body.getReader();
              for (;;) {
                const { done, value } = await reader.read();
                if (done) break;
                text += decoder.decode(value, { stream: true });
                if (text.length > tailLimit) text = text.slice(text.length - tailLimit);
                tail.textContent = text;
                tail.dataset.bytes = String((Number(tail.dataset.bytes) || 0) + value.length);
                tail.scrollTop = tail.scrollHeight;
              }
              const run = await json("GET", "/api/runs/" + id);
              facts.replaceWith(runFacts(run));
              state.textContent = run.finished ? "The run has finished; its whole stream is above." : "No new bytes for a while: reload to follow again.";
              return Boolean(run.finished);
            } catch (error) {
              if (!abort.signal.aborted) state.textContent = "The tail stopped: " + error.message;
              return false;
            }
          }

          // What a picture's answer means when there is none: 409, the run lacks such maps
          // (the platform's text names what); 404, this platform does not make them.
          function nothing(kind, error) {
            return el("p", { class: "note none" }, error.status === 404 ? "No " + kind + ": this platform does not draw them."
              : error.status === 409 ? "No " + kind + " for this run: " + error.message : "No " + kind + ": " + error.message);
          }

          async function showHistograms(id, box) {
            let data;
            try {
              data = await json("GET", "/api/runs/" + id + "/histograms");
            } catch (error) {
              if (error.status === 401) throw error;
              box.replaceChildren(nothing("histograms", error));
              return;
            }
            box.replaceChildren(...histogramCharts(data));
          }

          // The charts of GET /api/runs/{id}/histograms (docs/platform.md, *Pictures and
          // exports*): `{"intervals": [{"marker", "nsecs", "histograms": [{"map", "key",
          // "buckets": [{"min", "max", "count"}]}]}], "truncated"}`, newest interval first.
          function histogramCharts(data) {
            let series;
            if (data && Array.isArray(data.intervals)) {
              series = data.intervals.map((interval, index) => (interval.histograms || []).map((h) => ({
                title: h.map + (h.key === null || h.key === undefined ? "" : "[" + h.key + "]") + ", "
                  + (interval.marker === "end" ? "at the end" : interval.marker === "interval" ? "interval " + (index + 1) : "as printed"),
                buckets: h.buckets || [],
              }))).reverse().flat();
            } else {
              series = histogramSeries(data, []);
            }
            const charts = series.slice(0, maxCharts).map(chart);
            if (!charts.length) return [el("p", { class: "note none" }, "No histograms for this run.")];
            if (series.length > maxCharts) charts.push(el("p", { class: "note" }, "The first " + maxCharts + " of " + series.length + " histograms."));
            if (data && data.truncated) charts.push(el("p", { class: "note" }, "The platform read only part of this run's histograms."));
            return charts;
          }

          // Any other shape: every object holding a `buckets` list of counted buckets,
          // titled by the names, keys and intervals around it.
          function histogramSeries(value, path) {
            if (Array.isArray(value)) return value.flatMap((item) => histogramSeries(item, path));
            if (!value || typeof value !== "object") return [];
            const here = path.concat(Object.entries(value)
              .filter(([key, v]) => key !== "buckets" && (typeof v === "string" || typeof v === "number"))
              .map(([key, v]) => key + " " + v));
            if (Array.isArray(value.buckets) && value.buckets.every((b) => b && typeof b.count === "number")) {
              return [{ title: here.join(", "), buckets: value.buckets }];
            }
            return Object.entries(value).filter(([, v]) => v && typeof v === "object")
              .flatMap(([key, v]) => histogramSeries(v, Array.isArray(v) ? here : here.concat([key])));
          }

          function bucketLabel(bucket) {
            for (const [low, high] of [["min", "max"], ["low", "high"], ["lower", "upper"], ["from", "to"], ["start", "end"]]) {
              if (low in bucket || high in bucket) return (bucket[low] ?? "-inf") + " .. " + (bucket[high] ?? "inf");
            }
            const named = Object.entries(bucket).filter(([key]) => key !== "count").map(([, v]) => v);
            return named.join(" ");
          }

          // A horizontal bar per bucket, its bounds on the left and its count on the right.
          function chart(series) {
            const row = 16, labelWidth = 170, barWidth = 360, height = row * series.buckets.length + 4;
            const most = Math.max(1, ...series.buckets.map((b) => b.count));
            const svg = document.createElementNS(svgNS, "svg");
            const attributes = (node, values) => { for (const [k, v] of Object.entries(values)) node.setAttribute(k, v); return node; };
            attributes(svg, { class: "histogram", width: labelWidth + barWidth + 90, height, viewBox: `0 0 ${labelWidth + barWidth + 90} ${height}` });
            series.buckets.forEach((bucket, index) => {
              const y = index * row + 2;
              const label = attributes(document.createElementNS(svgNS, "text"), { x: labelWidth - 6, y: y + 11, "text-anchor": "end" });
              label.textContent = bucketLabel(bucket);
              const bar = attributes(document.createElementNS(svgNS, "rect"),
                { class: "bar", x: labelWidth, y, height: row - 3, width: Math.max(bucket.count > 0 ? 1 : 0, barWidth * bucket.count / most) });
              const count = attributes(document.createElementNS(svgNS, "text"), { x: labelWidth + barWidth * bucket.count / most + 4, y: y + 11 });
              count.textContent = String(bucket.count);
              svg.append(label, bar, count);
            });
            return el("figure", { class: "histogram" }, el("figcaption", {}, series.title), svg);
          }

          // The flame graph as an image of the SVG fetched with the token: shown as an
          // <img>, none of its script runs in the console's page; "Download" saves the
          // file, which zooms and searches when opened in a browser of its own.
          async function showFlamegraph(id, box) {
            let blob;
            try {
              blob = await (await call("GET", "/api/runs/" + id + "/flamegraph.svg")).blob();
            } catch (error) {
              if (error.status === 401) throw error;
              box.replaceChildren(nothing("flame graph", error));
              return;
            }
            const url = URL.createObjectURL(new Blob([blob], { type: "image/svg+xml" }));
            onLeave(() => URL.revokeObjectURL(url));
            box.replaceChildren(el("img", { class: "flamegraph", src: url, alt: "flame graph of run " + id }),
              el("p", {}, el("a", { href: url, download: "flamegraph-" + id + ".svg" }, "Download the SVG"), " (zoom and search when opened on its own)"));
          }

          // For the browser test: the charts of a given answer, drawn by this page.
          Console.histogramCharts = histogramCharts;
        })();

        """#
}
