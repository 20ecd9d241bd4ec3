# e-Service platform. Two commands do all set-up on a fresh Debian/Ubuntu machine:
#   make run    install what is missing, build, migrate, serve the demo tenants on SQLite
#   make test   the whole suite: format check, Swift Testing on SQLite and a real PostgreSQL, then browser journeys
# Also: make format (swift-format with .swift-format), make bench (release build, wrk vs nginx, 7,850 tenants; identity-image watermark vs libgd, vips,
# ImageMagick; petitions on PostgreSQL: filing, คำร้องของฉัน, the officer queue), make migrate, make worker.

SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run build test test-swift test-e2e test-scaleout test-backup format format-check bench migrate worker deps-run deps-test deps-bench clean

deps-run:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

deps-bench:
	@scripts/install-deps.sh bench

build: deps-run
	swift build --product eservice

# Migrations also run at start-up; `serve` then listens on http://$(HOST):$(PORT)/
# The demo's maps use OpenStreetMap's tiles (MAP_TILE_URL; a deployment names its own tile server, or none).
run: export MAP_TILE_URL ?= https://tile.openstreetmap.org/{z}/{x}/{y}.png
run: build
	@echo "Portal: http://$(HOST):$(PORT)/   Tenants: http://bangkrathum.localhost:$(PORT)/  (or /t/bangkrathum/)"
	@echo "Mails are written to DATA_DIR/mail and listed at http://$(HOST):$(PORT)/dev/mailbox"
	@echo "Staff back office: http://$(HOST):$(PORT)/backoffice/ (a first start prints a one-time set-up link for the platform admin)"
	.build/debug/eservice serve --hostname $(HOST) --port $(PORT)

migrate: build
	.build/debug/eservice migrate

worker: build
	.build/debug/eservice worker

test: deps-test format-check
	swift build --build-tests
	@# Write the build's output to disk first: with hundreds of MB still dirty, the SQLite tests' syncs waited
	@# behind it and some timed out (seen twice right after a build, never on a rerun).
	sync
	$(MAKE) --no-print-directory test-swift
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-scaleout
	$(MAKE) --no-print-directory test-backup

# Every database test runs on SQLite and on the throwaway PostgreSQL that with-postgres.sh starts; the file
# store tests run on the local folder and on the throwaway S3 server (rclone serve s3) that with-s3.sh starts.
# The two hostile-input suites (every route with hostile values, schemathesis on Open311) run after the rest, on
# their own: inside the whole suite on two cores they shared the CPU with ~90 suites, and a request that waited
# 20 s for it (schemathesis's limit) or a PostgreSQL pool that waited 30 s failed a run that passes alone.
HOSTILE_SUITES := HostileInputTests|Open311SchemathesisTests
test-swift:
	REQUIRE_POSTGRES=1 REQUIRE_S3=1 scripts/with-postgres.sh scripts/with-s3.sh sh -c \
	  'swift test --skip-build --skip "$(HOSTILE_SUITES)" && swift test --skip-build --filter "$(HOSTILE_SUITES)"'

test-e2e:
	scripts/e2e.sh

# nginx (deploy/nginx/eservice.conf) in front of two instances and a worker on one PostgreSQL and rclone's S3: README "Deploying".
test-scaleout:
	scripts/scaleout.sh

# eservice backup while citizens file, eservice restore into a new empty deployment, a server on it: SQLite with the
# local folder, PostgreSQL with S3 (README "Backup and restore").
test-backup:
	scripts/backup-test.sh

# swift-format (shipped with the Swift toolchain) with the checked-in .swift-format.
SWIFT_SOURCES := Package.swift Sources Tests
format:
	swift-format format --in-place --recursive --parallel $(SWIFT_SOURCES)

format-check:
	@swift-format lint --strict --recursive --parallel $(SWIFT_SOURCES) || { echo "Not formatted: run make format"; exit 1; }

bench: deps-bench
	swift build -c release --product eservice
	BIN=.build/release/eservice scripts/bench.sh
	scripts/bench-watermark.sh
	python3 scripts/bench_upload_load.py .build/release/eservice bench-results/photo-12mp-orient6.jpg
	python3 scripts/bench_upload_memory.py .build/release/eservice
	scripts/with-postgres.sh python3 scripts/bench_petitions.py .build/release/eservice
	scripts/with-postgres.sh python3 scripts/bench_line.py .build/release/eservice
	scripts/with-postgres.sh python3 scripts/bench_line_filing.py .build/release/eservice
	BIN=.build/release/eservice scripts/with-postgres.sh scripts/with-s3.sh .venv/bin/python scripts/bench_scaleout.py

clean:
	rm -rf .build data test-artifacts bench-results
