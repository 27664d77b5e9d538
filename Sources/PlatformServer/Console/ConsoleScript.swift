/// The console's scripts (docs/platform.md, *The console*), served as
/// `/console/console.js`, `views.js` and `runs.js`. Plain JavaScript, no library: the
/// token lives in `sessionStorage` and goes out as `Authorization: Bearer` on every
/// `/api/` call; pages are built with DOM nodes and text, never from HTML text, so a
/// label, a container name or a tracer's line cannot become markup.
enum ConsoleScript {
    /// The token, calls to `/api/`, sign-in and sign-out, and the views by location hash.
    static let core = #"""
        "use strict";
        const Console = (() => {
          const tokenKey = "lambda-platform-token";
          const nameKey = "lambda-platform-name";
          const views = [];
          let leaving = [];
          let generation = 0;

          const $ = (id) => document.getElementById(id);
          const token = () => sessionStorage.getItem(tokenKey);

          class Refusal extends Error {
            constructor(status, message) { super(message); this.status = status; }
          }

          // One call to the platform's API with the token; a refusal throws its `error` text.
          async function call(method, path, body, signal) {
            const headers = { "Authorization": "Bearer " + token() };
            const init = { method, headers, signal, cache: "no-store", credentials: "omit" };
            if (body !== undefined) {
              headers["Content-Type"] = "application/json";
              init.body = JSON.stringify(body);
            }
            const answer = await fetch(path, init);
            if (answer.status === 401) {
              signedOut("Your sign-in has ended: sign in again.");
              throw new Refusal(401, "not signed in");
            }
            if (!answer.ok) {
              let message = answer.status + " " + answer.statusText;
              try {
                const refusal = await answer.json();
                if (refusal && refusal.error) message = refusal.error;
              } catch (_) { /* not JSON: the status says it */ }
              throw new Refusal(answer.status, message);
            }
            return answer;
          }

          async function json(method, path, body) {
            const answer = await call(method, path, body);
            return answer.status === 204 ? null : answer.json();
          }

          // An element with attributes (`on...` ones are listeners) and children as nodes or text.
          function el(tag, attributes, ...children) {
            const node = document.createElement(tag);
            for (const [key, value] of Object.entries(attributes || {})) {
              if (value === undefined || value === null || value === false) continue;
              if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
              else node.setAttribute(key, value === true ? "" : String(value));
            }
            for (const child of children.flat()) {
              if (child === undefined || child === null) continue;
              node.append(child instanceof Node ? child : String(child));
            }
            return node;
          }

          function table(headings, rows, attributes) {
            return el("table", attributes, el("thead", {}, el("tr", {}, headings.map((h) => el("th", {}, h)))), el("tbody", {}, rows));
          }

          function when(value) {
            if (value === null || value === undefined) return "—";
            const date = new Date(value);
            return isNaN(date) ? String(value) : date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
          }

          function labelsText(labels) {
            return Object.entries(labels || {}).map(([k, v]) => k + "=" + v).join(",");
          }

          function setStatus(message) { $("status").textContent = message || ""; }

          function register(pattern, show) { views.push({ pattern, show }); }
          function onLeave(callback) { leaving.push(callback); }
          function leave() {
            const callbacks = leaving;
            leaving = [];
            for (const callback of callbacks) callback();
          }

          function signedOut(message) {
            sessionStorage.removeItem(tokenKey);
            leave();
            generation += 1;
            $("nav").hidden = true;
            $("view").replaceChildren();
            $("sign-in").hidden = false;
            $("sign-in-error").textContent = message || "";
            setStatus("");
          }

          async function signIn(event) {
            event.preventDefault();
            const name = $("sign-in-name").value;
            const password = $("sign-in-password").value;
            $("sign-in-error").textContent = "";
            let answer;
            try {
              answer = await fetch("/api/login", {
                method: "POST", cache: "no-store", credentials: "omit",
                headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name, password }),
              });
            } catch (error) {
              $("sign-in-error").textContent = "The platform did not answer: " + error.message;
              return;
            }
            if (!answer.ok) {
              $("sign-in-error").textContent = answer.status === 401 ? "Name or password wrong."
                : answer.status === 429 ? "Too many failed sign-ins for this name: wait a minute."
                : "Sign-in refused (" + answer.status + ").";
              return;
            }
            const signed = await answer.json();
            sessionStorage.setItem(tokenKey, signed.token);
            sessionStorage.setItem(nameKey, name);
            $("sign-in-password").value = "";
            show();
          }

          async function signOut() {
            try { await call("POST", "/api/logout"); } catch (_) { /* ended either way */ }
            signedOut("Signed out.");
          }

          // Draws the view the location hash names into a new section: a slower, older
          // view still loading writes into a section no longer shown.
          async function show() {
            leave();
            if (!token()) { signedOut(""); return; }
            generation += 1;
            const mine = generation;
            $("sign-in").hidden = true;
            $("nav").hidden = false;
            $("who").textContent = sessionStorage.getItem(nameKey) || "";
            setStatus("");
            const view = el("section", { id: "view" });
            $("view").replaceWith(view);
            const path = location.hash.replace(/^#/, "") || "/endpoints";
            for (const { pattern, show } of views) {
              const match = path.match(pattern);
              if (!match) continue;
              try {
                await show(match, view);
              } catch (error) {
                if (error.status !== 401 && mine === generation) setStatus(error.message);
              }
              return;
            }
            view.append(el("p", {}, "No such page."));
          }

          document.addEventListener("DOMContentLoaded", () => {
            $("sign-in").addEventListener("submit", signIn);
            $("sign-out").addEventListener("click", signOut);
            window.addEventListener("hashchange", show);
            show();
          });

          return { call, json, el, table, when, labelsText, setStatus, register, onLeave, Refusal };
        })();

        """#
}
