#!/usr/bin/env python3
"""The console in a real headless Chromium, driven by selenium (Tests/EndpointRunTests/ConsoleBrowserTests.swift
runs it against the real lambda-platform with a real pull endpoint).

Signs in, sees the endpoint listed online, creates a session of a light analysis, runs
it, follows its run's tail until it has grown, opens the run's page with its histograms
and flame graph (or the page's word that it has none), and checks that no request the
page made left its origin (Chromium's DevTools Network events from the performance log)
and that the browser logged no error but the expected 404/409 of pictures a run lacks.

Usage: console_walkthrough.py URL ACCOUNT ENDPOINT_UUID SCREENSHOT_DIR, the password on
standard input (never in argv). Prints "screenshot: PATH WHAT" per picture and exits 0 when
every check held; else prints what failed and exits 1.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

url, account, endpoint, shots = sys.argv[1:5]
password = sys.stdin.readline().rstrip("\n")
origin = url.rstrip("/")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    options.add_argument("--headless=new")
    options.add_argument("--window-size=1400,1000")
    # Chromium refuses to start as root with its sandbox on (it needs an unprivileged user
    # for its namespaces); the tests run as root for the tracer, so only then is it off.
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    # No profile, extension, sync or update check: nothing of Chromium's own reaches out
    # while the page is checked.
    for flag in ("--disable-extensions", "--disable-sync", "--no-first-run", "--disable-component-update",
                 "--disable-background-networking", "--disable-default-apps"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


# Two intervals of one histogram as GET /api/runs/{id}/histograms answers (docs/platform.md),
# drawn into the run page's histogram box.
HISTOGRAM_CHECK = """
const answer = {"intervals": [
  {"marker": "interval", "nsecs": 1000, "histograms": [{"map": "@usecs", "key": "sda",
    "buckets": [{"min": null, "max": 0, "count": 1}, {"min": 1, "max": 2, "count": 5}, {"min": 2, "max": 4, "count": 0}]}]},
  {"marker": "end", "nsecs": 2000, "histograms": [{"map": "@usecs", "key": "sda",
    "buckets": [{"min": 4, "max": 8, "count": 7}, {"min": 8, "max": null, "count": 2}]}]}], "truncated": false};
const box = document.getElementById("histograms");
box.replaceChildren(...Console.histogramCharts(answer));
const figures = [...box.querySelectorAll("figure")];
return {figures: figures.length, bars: figures.map((f) => f.querySelectorAll("rect.bar").length),
  captions: figures.map((f) => f.querySelector("figcaption").textContent)};
"""

driver = browser()
failures = []


def wait(what, condition, timeout=60):
    try:
        # The sessions list is drawn anew every 2 s: an element found may be gone a moment later.
        return WebDriverWait(driver, timeout, poll_frequency=0.25, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: condition())
    except TimeoutException:
        raise SystemExit(fail(f"timed out waiting for {what}"))


def fail(message):
    path = shot("failure", "the page when a check failed")
    return f"console walkthrough: {message} (page: {path})"


def shot(name, what):
    path = os.path.join(shots, f"{name}.png")
    driver.save_screenshot(path)
    print(f"screenshot: {path} {what}", flush=True)
    return path


def find(css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found else None


def click(css, what):
    """Clicks the element once it is there, again if it was drawn anew meanwhile."""
    def clicked():
        find(css).click()
        return True
    wait(what, lambda: find(css) and clicked())


def tail_bytes():
    tail = find("#tail")
    return int(tail.get_attribute("data-bytes") or 0) if tail else 0


try:
    driver.get(origin + "/")
    wait("the sign-in form", lambda: find("#sign-in") and find("#sign-in").is_displayed())
    shot("01-sign-in", "the sign-in form")
    driver.find_element(By.ID, "sign-in-name").send_keys(account)
    driver.find_element(By.ID, "sign-in-password").send_keys("not the password")
    driver.find_element(By.ID, "sign-in-button").click()
    wait("the wrong password refused", lambda: "wrong" in driver.find_element(By.ID, "sign-in-error").text)
    if driver.execute_script("return sessionStorage.getItem('lambda-platform-token')") is not None:
        failures.append("a refused sign-in left a token")
    driver.find_element(By.ID, "sign-in-password").clear()
    driver.find_element(By.ID, "sign-in-password").send_keys(password)
    driver.find_element(By.ID, "sign-in-button").click()

    row = f'#endpoints tr[data-uuid="{endpoint}"]'
    wait("the endpoint listed online", lambda: find(row) and "online" in find(row).text)
    if "role=console" not in find(row + " td.labels").text:
        failures.append(f"the endpoint's labels are not shown: {find(row).text!r}")
    if driver.get_cookies():
        failures.append(f"the console set cookies: {driver.get_cookies()}")
    shot("02-endpoints", "the endpoints, the test's pull endpoint online with its labels and version")

    click(row + ' a[href^="#/endpoints/"]', "the endpoint's containers link")
    wait("the endpoint's containers (or its word that none runs)", lambda: find("#containers"), timeout=60)
    if find("#status").text:
        failures.append(f"the containers view shows an error: {find('#status').text!r}")
    shot("03-containers", "the containers of the endpoint, as it answered through its task queue")

    driver.find_element(By.LINK_TEXT, "Sessions").click()
    wait("the session form", lambda: find("#session-form"))
    driver.find_element(By.ID, "session-name").send_keys("console profile")
    driver.find_element(By.ID, "session-selector").send_keys("role=console")
    Select(driver.find_element(By.ID, "session-kind")).select_by_value("analysis")
    driver.find_element(By.ID, "session-analysis").send_keys("cpu-profile")
    driver.find_element(By.ID, "session-parameters").send_keys('{"frequency": 99, "interval": 1}')
    lasting = driver.find_element(By.ID, "session-lasting")
    lasting.clear()
    lasting.send_keys("10")
    driver.find_element(By.ID, "session-create").click()
    session_row = '#sessions tr[data-session]'
    wait("the session listed", lambda: find(session_row) and "console profile" in find(session_row).text)
    click(session_row + " button.run", "the session's Run button")
    wait("the session's run linked", lambda: find(session_row + " a.run-link"), timeout=90)
    shot("04-session-running", "the session running on the endpoint, its run linked")
    click(session_row + " a.run-link", "the link to the session's run")

    wait("the tail's first bytes", lambda: tail_bytes() > 0, timeout=60)
    first = tail_bytes()
    wait("the tail to grow", lambda: tail_bytes() > first, timeout=60)
    shot("05-tail-growing", "the run's page while its live tail grows")
    wait("the run's end", lambda: "finished" in find("#tail-state").text, timeout=90)
    if '"type": "map"' not in find("#tail").text:
        failures.append("the tail shows no map line of the profile")

    # A cpu-profile run holds stack maps (one print a second): its page, drawn again once
    # the run finished, shows the flame graph the platform drew.
    wait("the flame graph drawn", lambda: find("#flamegraph img.flamegraph")
         and driver.execute_script("return arguments[0].naturalWidth", find("#flamegraph img.flamegraph")) > 0, timeout=30)
    wait("the histograms or the word that there are none",
         lambda: find("#histograms figure") or find("#histograms .none"))
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    shot("06-run-finished", "the finished run: its stream, histograms and flame graph (or the page's word that it has none)")
    if not find("#histograms figure"):
        # The charts drawn by this page from an answer of the documented shape (the run
        # above, a profile, has no histogram): one chart per histogram, newest first, a bar per bucket.
        drawn = driver.execute_script(HISTOGRAM_CHECK)
        if drawn != {"figures": 2, "bars": [2, 3], "captions": ["@usecs[sda], at the end", "@usecs[sda], interval 1"]}:
            failures.append(f"the histogram charts drawn from a known answer: {drawn}")
        driver.execute_script("document.getElementById('histograms').scrollIntoView()")
        shot("07-histogram-charts", "histogram charts the run page drew from a known two-interval answer")

    driver.find_element(By.LINK_TEXT, "Events").click()
    wait("the endpoint's events", lambda: find("#events") and endpoint in find("#events").text)
    shot("08-events", "the events, the endpoint's endpoint-started and run events among them")

    driver.find_element(By.LINK_TEXT, "Sessions").click()
    click(session_row + " button.delete", "the session's Delete button")
    wait("the session deleted", lambda: find("#sessions") and "No session yet" in find("#sessions").text)

    driver.find_element(By.ID, "sign-out").click()
    wait("the sign-in form after signing out", lambda: find("#sign-in").is_displayed())
    if driver.execute_script("return sessionStorage.getItem('lambda-platform-token')") is not None:
        failures.append("signing out left the token in sessionStorage")

    # No request left the page's origin: every URL Chromium was asked to load.
    requested = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    outside = [u for u in requested if not (u.startswith(origin + "/") or u.startswith("blob:" + origin + "/") or u.startswith("data:"))]
    if not requested:
        failures.append("the performance log shows no request at all")
    if outside:
        failures.append(f"requests left the origin: {outside}")
    print(f"requests: {len(requested)}, all to {origin}" if not outside else "", flush=True)

    # No error in the page (a CSP violation, a script error) but the pictures a run may lack.
    expected = ("/histograms - Failed to load resource", "/flamegraph.svg - Failed to load resource",
                "/api/login - Failed to load resource: the server responded with a status of 401")
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and not any(x in e["message"] for x in expected)]
    if errors:
        failures.append(f"the browser logged errors: {errors}")
finally:
    driver.quit()

for failure in failures:
    print(f"console walkthrough: {failure}", flush=True)
sys.exit(1 if failures else 0)
