#!/usr/bin/env python3
"""Writes a throw-away lambda-endpoint config directory for tests and checks.

The writer for scripts (`scripts/check-openapi.sh`, `Bench/bench.py`); the defaults
come from `Tests/Fixtures/test-config.json`, which the Swift tests' `TestConfigDirectory`
writes from too, so a new required key or a changed default is one edit there.

    scripts/test-config.py DIR [--settings KEY=VALUE]... [--lambda KEY=VALUE]... [--stdin-json]

DIR gets `settings.yml`, `lambda-settings.yml` (mode 0600, as `serve` demands) and an
empty `traces/` (the default `trace-dir`). VALUE is YAML as written in the file
(`--lambda 'root-password=""'`). With `--stdin-json` more overrides come as a JSON
object on standard input:

    {"settings": {KEY: VALUE or null}, "lambda": {KEY: VALUE or null},
     "databaseSection": TEXT, "rawSettings": TEXT, "rawLambda": TEXT}

null removes a key; `databaseSection` replaces the lines under `database:`;
`rawSettings`/`rawLambda` replace a whole file's text. Standard input is the way for
secrets (a root-password, a known secret): an argument is visible to every local user
in /proc/PID/cmdline.

Without an override, `secret` is random and `endpoint-uuid` a fresh uuid: whoever needs
to know them (a precomputed Authorization hash, a receiver verifying the endpoint)
passes its own. Nothing is printed; the secret in particular never is.
"""

import argparse
import json
import os
import secrets
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
# The defaults, shared with the Swift tests' TestConfigDirectory: what a test
# configuration holds is data in one place, and each side only writes it.
DEFAULTS_FILE = os.path.join(os.path.dirname(HERE), "Tests/Fixtures/test-config.json")


def defaults():
    """The default lines of both files, in order, with the per-directory values (the null
    ones) left as None, and the database section."""
    with open(DEFAULTS_FILE) as f:
        data = json.load(f)
    lines = lambda name: [(line["key"], line["value"]) for line in data[name]]
    return lines("settings.yml"), lines("lambda-settings.yml"), data["database"]


def fill(lines, values):
    """`lines` with each None value taken from `values` (a key it lacks is an error)."""
    return [(key, values[key] if value is None else value) for key, value in lines]


def render(default_lines, overrides):
    """The file's text: defaults in order with overrides applied (None removes a key),
    then keys only the overrides name, sorted. A value that starts with a newline is a
    section (`database`)."""
    lines = []
    for key, value in default_lines:
        chosen = overrides.get(key, value)
        if chosen is None:
            continue
        lines.append("%s:%s\n" % (key, chosen if chosen.startswith("\n") else " " + chosen))
    known = {key for key, _ in default_lines}
    for key in sorted(overrides):
        if key not in known and overrides[key] is not None:
            lines.append("%s: %s\n" % (key, overrides[key]))
    return "".join(lines)


def write(path, text, mode):
    """Writes `text` to a new file at `path` with exactly `mode` (not the umask's)."""
    if os.path.lexists(path):
        os.unlink(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(descriptor, "w") as f:
        os.fchmod(f.fileno(), mode)
        f.write(text)


def make(directory, settings=None, lambda_=None, database_section=None, raw_settings=None, raw_lambda=None):
    settings_lines, lambda_lines, default_database = defaults()
    trace_dir = os.path.join(directory, "traces")
    os.makedirs(trace_dir, exist_ok=True)
    settings_lines = fill(settings_lines, {"database": "\n" + (database_section or default_database).rstrip("\n")})
    lambda_lines = fill(lambda_lines, {
        "trace-dir": trace_dir,
        # Random unless given: nobody can use a configuration made here without knowing it.
        "secret": '"%s"' % secrets.token_hex(24),
        "endpoint-uuid": str(uuid.uuid4()),
    })
    settings_text = raw_settings if raw_settings is not None else render(settings_lines, settings or {})
    lambda_text = raw_lambda if raw_lambda is not None else render(lambda_lines, lambda_ or {})
    write(os.path.join(directory, "settings.yml"), settings_text, 0o644)
    # As an operator must keep it: `serve` refuses a lambda-settings.yml others can read.
    write(os.path.join(directory, "lambda-settings.yml"), lambda_text, 0o600)


def key_value(text):
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError("expected KEY=VALUE, got %r" % text)
    return key, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", help="the config directory (created if missing)")
    parser.add_argument("--settings", type=key_value, action="append", default=[], metavar="KEY=VALUE",
                        help="a settings.yml key")
    parser.add_argument("--lambda", dest="lambda_", type=key_value, action="append", default=[], metavar="KEY=VALUE",
                        help="a lambda-settings.yml key")
    parser.add_argument("--stdin-json", action="store_true", help="read more overrides as JSON from standard input")
    arguments = parser.parse_args()

    settings = dict(arguments.settings)
    lambda_ = dict(arguments.lambda_)
    given = json.load(sys.stdin) if arguments.stdin_json else {}
    settings.update(given.get("settings", {}))
    lambda_.update(given.get("lambda", {}))
    make(os.path.abspath(arguments.directory), settings, lambda_,
         database_section=given.get("databaseSection"),
         raw_settings=given.get("rawSettings"), raw_lambda=given.get("rawLambda"))


if __name__ == "__main__":
    main()
