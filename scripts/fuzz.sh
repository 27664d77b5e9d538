#!/usr/bin/env bash
# Builds the fuzzers and runs each for SECONDS (default 300, `make fuzz`; `make test`
# runs them briefly): libFuzzer with AddressSanitizer over
# - requests: JSON decoding of every request body (a start's target included), the
#   request, template and analysis parameter rules, for an accepted template its tracer
#   programs, argv and environment, for an accepted analysis start its program, and the
#   same bytes read as a tracer's output by the notice scanner, whole and cut
#   (Fuzz/requests/RequestFuzzer.swift);
# - elf: the ELF symbol reader that `POST /trace/start` runs over the template's binary,
#   driven from bytes in memory (Fuzz/elf/ELFSymbolsFuzzer.swift);
# - auth: the Authorization header's parser, the argon2 parameter caps and libargon2's
#   decoder of the presented hash (Fuzz/auth/AuthHeaderFuzzer.swift).
#
# Built with swiftc straight from the whole package target they cover (TraceModel for
# requests and elf, Credentials for auth), as one module of that name: SwiftPM would
# rebuild every package dependency with instrumentation (minutes) although none of them
# is on the fuzzed path. Those targets depend on no package (Foundation, and libargon2
# for Credentials); a new dependency there fails this build, which is the point.
#
# Inputs: the seeds in Fuzz/NAME/corpus (committed, never written) and a working corpus
# in .build-fuzz/NAME/corpus (kept between runs, so `make fuzz` goes on where it
# stopped). A failing input is saved as .build-fuzz/NAME/artifacts/crash-* and the run
# exits non-zero; replay it with `.build-fuzz/NAME/fuzzer FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-300}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS]" >&2
    exit 2
fi

# target_sources TARGET: every source file of one package target (they move with it;
# nothing here lists files by hand).
target_sources() {
    find "Sources/$1" -name '*.swift' | sort
}
mapfile -t trace_model < <(target_sources TraceModel)
mapfile -t credentials < <(target_sources Credentials)
request_sources=("${trace_model[@]}" Tests/EndpointTestSupport/AcceptedTemplateInvariants.swift Fuzz/requests/RequestFuzzer.swift Fuzz/PropertyFailure.swift)
elf_sources=("${trace_model[@]}" Fuzz/elf/ELFSymbolsFuzzer.swift Fuzz/PropertyFailure.swift)
auth_sources=("${credentials[@]}" Fuzz/auth/AuthHeaderFuzzer.swift Fuzz/PropertyFailure.swift)

# build NAME MODULE [SWIFTC FLAGS...] -- SOURCES...: (re)builds .build-fuzz/NAME/fuzzer,
# the sources compiled as module MODULE, when a source is newer.
build() {
    local name=$1 module=$2 work=.build-fuzz/$1 flags=()
    shift 2
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    mkdir -p "$work/corpus" "$work/artifacts"
    if [ -x "$work/fuzzer" ] && [ -z "$(find "$@" scripts/fuzz.sh -newer "$work/fuzzer" -print -quit)" ]; then
        return
    fi
    echo "fuzz: building $work/fuzzer"
    # The shared invariants file imports TraceModel, which is this module here:
    # swiftc warns and ignores the import. gold warns about every ASan symbol it cannot
    # export; neither is ours to act on, so the output is shown only when the build fails.
    if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "$module" -package-name lambda_endpoint -suppress-warnings \
        "${flags[@]}" "$@" -o "$work/fuzzer" > "$work/build.log" 2>&1; then
        grep -v "Cannot export local symbol" "$work/build.log" >&2
        echo "fuzz: the $name fuzzer did not build" >&2
        exit 1
    fi
}

# run NAME MAX_LEN [FLAGS...]: runs one fuzzer for $seconds and prints its figures.
run() {
    local name=$1 max_len=$2 work=.build-fuzz/$1
    shift 2
    local log=$work/last-run.log status=0
    # Leak checks off: the Swift runtime keeps metadata caches for the process's life,
    # which LeakSanitizer reports at exit although nothing grows per input
    # (-rss_limit_mb would catch that).
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$work/fuzzer" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" \
        "$work/corpus" "Fuzz/$name/corpus" > "$log" 2>&1 || status=$?
    local executions coverage inputs
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    inputs=$(find "$work/corpus" -type f | wc -l)
    echo "fuzz $name: ${seconds}s, ${executions:-unknown} executions, ${coverage:-cov: unknown}, working corpus $inputs inputs, exit status $status"
    if [ "$status" -ne 0 ]; then
        echo "fuzz $name: FAILED; the end of $log:" >&2
        tail -40 "$log" >&2
        failed=1
    fi
}

build requests TraceModel -- "${request_sources[@]}"
build elf TraceModel -- "${elf_sources[@]}"
# libargon2 (Debian's, not instrumented: ASan sees its crashes, not its overreads) through
# the same module map as the package's CArgon2 target (its `link "argon2"` links it).
build auth Credentials -I Sources/CArgon2 -- "${auth_sources[@]}"
failed=0
run requests 8192 -dict=Fuzz/requests/dictionary
run elf 16384
run auth 1024 -dict=Fuzz/auth/dictionary
exit "$failed"
