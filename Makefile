# lambda-endpoint: the two commands a newcomer needs are `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= Config

.PHONY: deps build run test clean-data

deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Starts the endpoint on the Config/ defaults (SQLite file Config/lambda.sqlite3).
run: build
	$(SWIFT) run lambda-endpoint serve --config $(CONFIG)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Removes the database that `make run` created.
clean-data:
	rm -f $(CONFIG)/lambda.sqlite3 $(CONFIG)/lambda.sqlite3-shm $(CONFIG)/lambda.sqlite3-wal
