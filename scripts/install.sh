#!/usr/bin/env bash
# `make install`: binaries, config, systemd unit and the sudoers example under a prefix.
#   scripts/install.sh --bin DIR [--prefix /usr/local] [--destdir STAGING]
# Idempotent: an existing /etc/lambda-endpoint config is never overwritten. Creates no
# user and installs no sudo rule (a rule for the tracers is root-equivalent: docs/operating.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="" prefix=/usr/local destdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        *) echo "install: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$bin" ] || { echo "install: --bin DIR (the build's binaries) is required" >&2; exit 2; }

root=$destdir
install -d -m 0755 "$root$prefix/bin" "$root$prefix/lib/systemd/system" "$root$prefix/share/lambda-endpoint" "$root$prefix/share/doc/lambda-endpoint"
install -m 0755 "$bin/lambda-endpoint" "$bin/lambda-platform" "$root$prefix/bin/"
sed "s|@PREFIX@|$prefix|g" packaging/lambda-endpoint.service > "$root$prefix/lib/systemd/system/lambda-endpoint.service"
chmod 0644 "$root$prefix/lib/systemd/system/lambda-endpoint.service"
install -m 0644 packaging/sudoers.lambda-endpoint "$root$prefix/share/lambda-endpoint/sudoers.example"
install -m 0644 README.md "$root$prefix/share/doc/lambda-endpoint/README.md"

# Config: the shipped files with the state directory of the unit (ProtectSystem=strict
# leaves only /var/lib/lambda-endpoint writable; run files must not sit on PrivateTmp).
config=$root/etc/lambda-endpoint
install -d -m 0755 "$config"
if [ ! -e "$config/settings.yml" ]; then
    sed 's|"_env:LAMBDA_DATABASE:lambda.sqlite3"|"_env:LAMBDA_DATABASE:/var/lib/lambda-endpoint/lambda.sqlite3"|' Config/settings.yml > "$config/settings.yml"
    chmod 0644 "$config/settings.yml"
fi
if [ ! -e "$config/lambda-settings.yml" ]; then
    # umask first: the secret never exists in a world-readable file, not even briefly.
    (umask 077; sed 's|^trace-dir: /tmp$|trace-dir: /var/lib/lambda-endpoint/traces|' Config/lambda-settings.yml > "$config/lambda-settings.yml")
    if [ -z "$destdir" ] && id lambda >/dev/null 2>&1; then chown lambda:lambda "$config/lambda-settings.yml"; fi
fi

cat <<NEXT
install: done under ${destdir:-/}$prefix and ${destdir:-}/etc/lambda-endpoint.
Next: create the service user (useradd --system lambda), set secret, endpoint-uuid and
platform-url in /etc/lambda-endpoint/lambda-settings.yml (owner lambda, mode 0600),
review and copy $prefix/share/lambda-endpoint/sudoers.example to /etc/sudoers.d/,
run 'lambda-endpoint doctor --config /etc/lambda-endpoint' as that user, then
'systemctl enable --now lambda-endpoint'.
NEXT
