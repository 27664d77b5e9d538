# lambda-endpoint: the two commands a newcomer needs are `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= Config

.PHONY: deps build run test test-fast format lint fuzz bench install clean-data

deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

# lambda-platform on port 3001 (the default platform-url; its files in .run/platform/)
# and the endpoint of Config/ delivering to it; prints how to sign in (scripts/run-local.sh).
run: build
	CONFIG=$(CONFIG) bash scripts/run-local.sh

# Real tracers, real sudo: the tests need tracefs and their sudo users (see the script).
# --no-parallel: the real-process tests spawn tracers and time their runs; sharing two
# cores with other suites would only make them slower and flakier.
# Then the fuzzers briefly (FUZZ_TEST_SECONDS each; `make fuzz` runs them longer).
# One suite, two fixtures: the platform's suites run a second time with their database on
# PostgreSQL (a private cluster the tests start; docs/testing.md).
FUZZ_TEST_SECONDS ?= 20
PLATFORM_SUITES = PlatformStoreTests|PlatformServerTests
test: deps lint
	bash scripts/prepare-test-machine.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	LAMBDA_TEST_PLATFORM_ENGINE=postgres $(SWIFT) test --skip-build --no-parallel --filter '$(PLATFORM_SUITES)'
	bash scripts/check-openapi.sh
	bash scripts/check-platform-openapi.sh
	bash scripts/fuzz.sh $(FUZZ_TEST_SECONDS)

# The pure suites alone, for the edit-test loop: no root, no sudo, no tracer (neither
# bpftrace nor a fake one), no endpoint process; in-process servers on loopback, temporary
# files and a few helper tools (openssl, objcopy, python3, bash) only. Every suite of the
# targets below but those that do one of these: run `bpftrace -d`/`--help`
# (AnalysisProgram, TargetedProgram, TracerProgram, TemplateValidator), read the host's
# tracefs (TracingHost, the live /analyses catalogue), chown (SettingsFileAccess), spawn
# fake tracers (RunSupervisorLimit, TraceRunStop, HeldBinaryLaunch), or run the built
# lambda-platform (AccountCommandTests). The platform's suites run in process on SQLite
# files in the temporary directory, here only: their PostgreSQL pass (`make test`) adds
# 36-48 s serially on 2 cores (a database made, migrated and dropped per test). Serial:
# two of them measure this process's memory growth and answer times, which parallel
# suites disturb.
FAST_SUITES = ^(TraceModelTests|AuthenticationTests|EndpointConfigTests|EndpointStorageTests|HostSystemTests|EndpointServerTests|RunsTests|SubmitterTests|SubmitReceiverTests|PlatformStoreTests|PlatformServerTests)\.
FAST_SKIP = AnalysisProgramTests|TargetedProgramTests|TracerProgramTests|TemplateValidatorTests|TracingHostTests|AnalysisRouteTests/catalogue|SettingsFileAccessTests|RunSupervisorLimitTests|TraceRunStopTests|HeldBinaryLaunchTests|AccountCommandTests
test-fast:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel --filter '$(FAST_SUITES)' --skip '$(FAST_SKIP)'

# The Swift code as `.swift-format` (Hummingbird's style, lines up to 150) wants it:
# `make format` rewrites it in place; `make lint` (part of `make test`) fails on any
# difference. Both use the swift-format that ships with the toolchain.
SWIFT_SOURCES = Package.swift Sources Tests Fuzz
format:
	$(SWIFT) format --in-place --recursive --parallel $(SWIFT_SOURCES)

lint:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_SOURCES)

# libFuzzer over request decoding, validation and tracer program generation, the ELF
# symbol reader and the Authorization header: FUZZ_SECONDS each (default 5 minutes),
# continuing from the corpus of earlier runs (scripts/fuzz.sh).
FUZZ_SECONDS ?= 300
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Release build, then one `name: value unit` line per figure (docs/performance.md).
# Figures only, never pass/fail; about 3 minutes after the build.
bench: deps
	bash scripts/bench.sh

# Release binaries, config (never overwritten), systemd unit and the sudoers example:
# make install PREFIX=/usr/local [DESTDIR=staging]. See docs/operating.md "Packaging".
PREFIX ?= /usr/local
DESTDIR ?=
install: deps
	$(SWIFT) build -c release
	bash scripts/install.sh --bin "$$($(SWIFT) build -c release --show-bin-path)" --prefix "$(PREFIX)" --destdir "$(DESTDIR)"

# Removes the database that `make run` created.
clean-data:
	rm -f $(CONFIG)/lambda.sqlite3 $(CONFIG)/lambda.sqlite3-shm $(CONFIG)/lambda.sqlite3-wal
	rm -rf .run
