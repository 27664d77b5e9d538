extension ConsoleScript {
    /// Endpoints and their containers, sessions (the form, run, stop, delete) and events.
    static let views = #"""
        "use strict";
        (() => {
          const { el, table, when, labelsText, json, register, onLeave, setStatus } = Console;

          register(/^\/endpoints$/, async (match, view) => {
            const endpoints = await json("GET", "/api/endpoints");
            view.append(el("h2", {}, "Endpoints"));
            if (!endpoints.length) {
              view.append(el("p", { class: "note" }, "No endpoint has registered, and platform.yml declares none."));
              return;
            }
            const rows = endpoints.map((e) => el("tr", { "data-uuid": e.uuid },
              el("td", {}, e.hostname || "—"), el("td", { class: "mono" }, e.uuid), el("td", { class: "labels" }, labelsText(e.labels)),
              el("td", { class: e.online ? "online" : "offline" }, e.online ? "online" : "offline"),
              el("td", {}, e.version || "—"), el("td", {}, e.control || "—"), el("td", {}, when(e.lastSeen)),
              el("td", {}, el("a", { href: "#/endpoints/" + e.uuid }, "containers"), " ", el("a", { href: "#/runs?endpoint=" + e.uuid }, "runs"))));
            view.append(table(["Host", "UUID", "Labels", "State", "Version", "Control", "Last seen", ""], rows, { id: "endpoints" }));
          });

          // The containers of one endpoint: GET /api/containers asks every endpoint its
          // selector matches; its own labels as the selector make that few.
          register(/^\/endpoints\/([0-9A-Fa-f-]{36})$/, async ([, uuid], view) => {
            const endpoint = (await json("GET", "/api/endpoints")).find((e) => e.uuid === uuid.toLowerCase());
            if (!endpoint) { view.append(el("p", {}, "No endpoint " + uuid + ".")); return; }
            view.append(el("h2", {}, "Containers on " + (endpoint.hostname || endpoint.uuid)));
            const waiting = el("p", { class: "note" }, "Asking the endpoint (up to 30 s)…");
            view.append(waiting);
            const gathered = await json("GET", "/api/containers?selector=" + encodeURIComponent(labelsText(endpoint.labels)));
            const mine = gathered.find((answer) => answer.endpoint === endpoint.uuid);
            waiting.remove();
            if (!mine) { view.append(el("p", {}, "The endpoint was not asked.")); return; }
            if (mine.error) { view.append(el("p", { class: "error" }, mine.error)); return; }
            if (!mine.containers.length) { view.append(el("p", { id: "containers" }, "No container runs there.")); return; }
            const rows = mine.containers.map((c) => el("tr", {},
              el("td", {}, c.name || "—"), el("td", {}, c.pod ? c.pod.namespace + "/" + c.pod.name : "—"), el("td", {}, c.runtime || "—"),
              el("td", { class: "mono" }, c.id.slice(0, 12)), el("td", {}, (c.pids || []).length)));
            view.append(table(["Name", "Pod", "Runtime", "Id", "Processes"], rows, { id: "containers" }));
          });

          // Sessions: the list (refreshed every 2 s while shown) and the form that creates one.
          register(/^\/sessions$/, async (match, view) => {
            view.append(el("h2", {}, "Sessions"));
            const list = el("div", { id: "sessions" });
            view.append(list, await sessionForm(() => refresh()));
            async function refresh() {
              const sessions = await json("GET", "/api/sessions");
              list.replaceChildren(sessions.length ? sessionTable(sessions, refresh) : el("p", { class: "note" }, "No session yet."));
            }
            await refresh();
            const timer = setInterval(() => refresh().catch((error) => setStatus(error.message)), 2000);
            onLeave(() => clearInterval(timer));
          });

          function sessionTable(sessions, refresh) {
            const act = (action) => async () => {
              try { await action(); await refresh(); } catch (error) { setStatus(error.message); }
            };
            const rows = sessions.map((s) => el("tr", { "data-session": s.id, "data-running": s.running },
              el("td", {}, s.name), el("td", { class: "mono" }, s.selector || "(all)"),
              el("td", {}, s.analysis ? "analysis " + s.analysis.name : "template " + (s.template ? s.template.process : "")),
              el("td", {}, s.lasting + " s"), el("td", { class: "running" }, s.running ? "running" : "not running"),
              el("td", {}, s.endpoints.map((e) => el("div", { class: "session-endpoint", "data-state": e.state },
                (e.hostname || e.uuid.slice(0, 8)) + ": " + e.state + " ",
                e.run ? el("a", { href: "#/runs/" + e.run, class: "run-link" }, "run") : null, e.error ? el("span", { class: "error" }, " " + e.error) : null))),
              el("td", {},
                el("button", { type: "button", class: "run", onclick: act(() => json("PUT", "/api/sessions/" + s.id, { run: true })) }, "Run"),
                el("button", { type: "button", class: "stop", onclick: act(() => json("PUT", "/api/sessions/" + s.id, { run: false })) }, "Stop"),
                el("button", { type: "button", class: "delete", onclick: act(() => json("DELETE", "/api/sessions/" + s.id)) }, "Delete"))));
            return table(["Name", "Selector", "What", "Lasting", "State", "Endpoints", ""], rows);
          }

          // The form of POST /api/sessions: a template or an analysis with its parameters,
          // a selector, a target; its refusal (naming the field) shown under it.
          async function sessionForm(created) {
            const endpoints = await json("GET", "/api/endpoints");
            const analyses = [...new Set(endpoints.flatMap((e) => e.analyses || []))].sort();
            const field = (label, input) => el("label", {}, label + " ", input);
            const name = el("input", { id: "session-name", required: true, maxlength: 128 });
            const selector = el("input", { id: "session-selector", placeholder: "role=db,zone=eu-1" });
            const kind = el("select", { id: "session-kind" }, el("option", { value: "analysis" }, "an analysis"), el("option", { value: "template" }, "a template"));
            const analysis = el("input", { id: "session-analysis", list: "analysis-names", placeholder: "cpu-profile" });
            const names = el("datalist", { id: "analysis-names" }, analyses.map((a) => el("option", { value: a })));
            const parameters = el("textarea", { id: "session-parameters", rows: 2, placeholder: "{\"frequency\": 99}" });
            const template = el("textarea", { id: "session-template", rows: 3, placeholder: "{\"process\": \"/bin/bash\", \"functions\": [\"xmalloc\"], \"traceType\": [\"BPF\"]}" });
            const target = el("textarea", { id: "session-target", rows: 2, placeholder: "{\"pod\": \"shop-*\"} (empty: the host)" });
            const lasting = el("input", { id: "session-lasting", type: "number", min: 1, max: 86400, value: 10 });
            const context = el("input", { id: "session-context" });
            const error = el("p", { id: "session-error", class: "error", role: "alert" });
            const analysisPart = el("div", {}, field("Analysis", analysis), names, field("Parameters (JSON object)", parameters));
            const templatePart = el("div", { hidden: true }, field("Template (JSON)", template));
            kind.addEventListener("change", () => {
              analysisPart.hidden = kind.value !== "analysis";
              templatePart.hidden = kind.value !== "template";
            });
            const parsed = (textarea, what) => {
              if (!textarea.value.trim()) return undefined;
              try { return JSON.parse(textarea.value); } catch (_) { throw new Error(what + ": not JSON"); }
            };
            const form = el("form", { id: "session-form" }, el("h3", {}, "New session"),
              field("Name", name), field("Selector", selector), field("Runs", kind), analysisPart, templatePart,
              field("Target (JSON)", target), field("Lasting (seconds)", lasting), field("Context", context),
              el("button", { type: "submit", id: "session-create" }, "Create"), error);
            form.addEventListener("submit", async (event) => {
              event.preventDefault();
              error.textContent = "";
              try {
                const body = { name: name.value, selector: selector.value, lasting: Number(lasting.value), context: context.value, target: parsed(target, "target") };
                if (kind.value === "analysis") body.analysis = { name: analysis.value, parameters: parsed(parameters, "parameters") || {} };
                else body.template = parsed(template, "template");
                await json("POST", "/api/sessions", body);
                form.reset();
                await created();
              } catch (refusal) {
                error.textContent = refusal.message;
              }
            });
            return form;
          }

          register(/^\/events$/, async (match, view) => {
            const events = await json("GET", "/api/events?limit=200");
            view.append(el("h2", {}, "Events"));
            if (!events.length) { view.append(el("p", { class: "note" }, "No event yet.")); return; }
            const rows = events.map((e) => el("tr", {},
              el("td", {}, when(e.time)), el("td", { class: "mono" }, e.endpoint), el("td", {}, e.kind),
              el("td", { class: "mono" }, e.run || ""), el("td", { class: "mono" }, JSON.stringify(e.detail))));
            view.append(table(["Time", "Endpoint", "Kind", "Run", "Detail"], rows, { id: "events" }));
          });
        })();

        """#
}
