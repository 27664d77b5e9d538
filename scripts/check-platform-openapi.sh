#!/usr/bin/env bash
# Checks docs/platform-openapi.yaml (what the endpoint expects of a platform: /submit,
# /endpoints/{uuid}, /tasks, /tasks/{id}/result, /events; and the operator API under
# /api/) against the running `lambda-platform serve --config DIR`, with schemathesis
# (`make test`): no 5xx, every answer as documented.
#
# The platform trusts one throw-away endpoint (scripts/test-config.py: a random uuid and
# secret it never prints; platform.yml declares it); schemathesis sends that endpoint's
# Authorization, and signs every request as the endpoint would
# (scripts/platform_openapi_hooks.py: the platform refuses endpoint requests without a
# valid Lambda-Signature). Polls wait at most 0.2 s here (`max-poll-wait`): a generated
# wait=26 would otherwise hold each example for 26 s; a live tail of a run that never
# finishes ends after 1 s without bytes (`follow-idle-seconds`). About half a minute.
#
# Environment: SWIFT (default swift), OPENAPI_MAX_EXAMPLES (default 50), OPENAPI_SEED.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
SWIFT=${SWIFT:-swift}
max_examples=${OPENAPI_MAX_EXAMPLES:-50}
seed=${OPENAPI_SEED:-20260101}

fail() {
    echo "check-platform-openapi: FAIL: $*" >&2
    exit 1
}

command -v schemathesis >/dev/null 2>&1 || fail "schemathesis is not installed (run scripts/install-deps.sh)"
bin_dir=$("$SWIFT" build --show-bin-path)
for product in lambda-platform lambda-endpoint; do
    [ -x "$bin_dir/$product" ] || "$SWIFT" build --product "$product"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/lambda-platform-openapi.XXXXXX")
platform_pid=
cleanup() {
    if [ -n "$platform_pid" ]; then kill -TERM "$platform_pid" 2>/dev/null || true; wait "$platform_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 scripts/test-config.py "$work/config" >/dev/null || fail "scripts/test-config.py could not write the configuration"
uuid=$(sed -n 's/^endpoint-uuid: *"\{0,1\}\([0-9a-fA-F-]*\)"\{0,1\}$/\1/p' "$work/config/lambda-settings.yml")
[[ "$uuid" =~ ^[0-9a-fA-F-]{36}$ ]] || fail "no endpoint-uuid in the test configuration"
mkdir -m 700 "$work/platform"
(
    umask 077
    python3 - "$work/config/lambda-settings.yml" "$uuid" >"$work/platform/platform.yml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
secret = re.search(r'^secret: *"?([^"\n]*)"?$', text, re.M).group(1)
print("host: 127.0.0.1\nport: 0\nmax-poll-wait: 0.2\nfollow-idle-seconds: 1\nendpoints:\n  %s:\n    secret: \"%s\"" % (sys.argv[2], secret))
PY
)
# An admin for the operator API, its password on standard input and in no file.
password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" | "$bin_dir/lambda-platform" account add openapi-check --role admin --config "$work/platform" >/dev/null \
    || fail "account add failed"
"$bin_dir/lambda-platform" serve --config "$work/platform" --port-file "$work/port" >"$work/platform.log" 2>&1 &
platform_pid=$!
for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { tail -20 "$work/platform.log" >&2; fail "lambda-platform did not start"; }
base="http://127.0.0.1:$(cat "$work/port")"
auth=$("$bin_dir/lambda-endpoint" auth-header --config "$work/config") || fail "auth-header failed"
token=$(printf '%s\n' "$password" | "$bin_dir/lambda-platform" fleet login --url "$base" --name openapi-check) || fail "fleet login failed"

# The endpoint a request names (the path's uuid, the poll's endpoint) must be the one its
# Authorization proves, or the answer is 401: generated uuids would never reach the
# routes' own checks. schemathesis.toml pins those parameters to the trusted endpoint.
cat >"$work/schemathesis.toml" <<TOML
[parameters]
"path.uuid" = "$uuid"
"query.endpoint" = "$uuid"
# schemathesis reuses names it saw in answers: the admin's own, from GET /api/accounts,
# would be deleted by DELETE /api/accounts/{name} and every /api/ call after it be 401.
"path.name" = "no-such-account"
TOML

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection
set +e
(
    cd "$work"
    export PYTHONPATH="$repo/scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=platform_openapi_hooks
    export LAMBDA_SIGNING_CONFIG="$work/config" LAMBDA_BEARER_TOKEN="$token"
    schemathesis run "$repo/docs/platform-openapi.yaml" \
        --url "$base" \
        -H "Authorization: $auth" \
        --checks "$checks" \
        --phases examples,coverage,fuzzing \
        --exclude-path /api/logout \
        --max-examples "$max_examples" \
        --seed "$seed" \
        --workers 1 \
        --generation-database none \
        --request-timeout 10 \
        --output-sanitize true \
        --no-color
) >"$work/schemathesis.out" 2>&1
status=$?
set -e
out=$(cat "$work/schemathesis.out")
hash=${auth:36}
[[ "$out" != *"$hash"* ]] || fail "schemathesis printed the Authorization value; keep --output-sanitize true"
[[ "$out" != *"$token"* ]] || fail "schemathesis printed the bearer token; keep --output-sanitize true"
printf "%s\n" "$out" | tail -120
kill -0 "$platform_pid" 2>/dev/null || fail "lambda-platform died during the run"
[ "$status" -eq 0 ] || fail "schemathesis exited $status (failures above)"
echo "check-platform-openapi: ok (docs/platform-openapi.yaml; seed $seed, at most $max_examples examples per operation)"
