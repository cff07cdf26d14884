# Codex Tray. `make run` and `make test` work on a fresh Debian/Ubuntu machine:
# both install the system packages they miss (packaging/linux/build-deps.sh).

GO        ?= go
TAGS      ?= migrated_fynedo
BIN       ?= bin/codextray
# The real Codex CLI (a real part of the tests) is installed from npm, at the
# version the script pins, into .cache/codex.
REAL_CODEX_SH ?= $(CURDIR)/packaging/linux/real-codex.sh
REAL_CODEX_DIR ?= $(CURDIR)/.cache/codex
TEST_SESSION = packaging/linux/test-session.sh
# The commit `codextray version` prints (Go's own VCS stamp may be off, as
# with GOFLAGS=-buildvcs=false).
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS  ?= -X github.com/codextray/codextray/core/cli.commit=$(COMMIT)

# The Go toolchain: go.mod's `toolchain` line names a patched Go release
# (govulncheck checks the standard library too, and the binaries ship it).
# GOTOOLCHAIN=auto makes the go command honour that line even where the
# system's default is GOTOOLCHAIN=local: an older local Go fetches that
# release once from the Go module proxy into the module cache; a newer one is
# used as it is.
export GOTOOLCHAIN := auto

TRAY_STATES = valid expiring expired relogin error apikey
ICON_SIZES  = 256 128 64 32 16

.PHONY: all build run deps-run deps-test test lint bench icons clean \
	deps-package package package-macos packages-for-test

all: build

deps-run:
	packaging/linux/build-deps.sh run

deps-test:
	packaging/linux/build-deps.sh test

build:
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .

run: deps-run build
	./$(BIN)

# Tests run inside a throwaway session: D-Bus, an unlocked gnome-keyring and
# Xvfb (see test-session.sh). CODEXTRAY_REAL_CODEX is the real Codex binary.
# `make lint` runs first: a vet, staticcheck or govulncheck finding fails the
# run before the (long) tests.
test: deps-test lint packages-for-test
	@codex=$$(bash "$(REAL_CODEX_SH)" "$(REAL_CODEX_DIR)") || { echo "make test: cannot install the real Codex CLI (see the line above)" >&2; exit 1; }; \
	echo "make test: real Codex CLI at $$codex"; \
	CODEXTRAY_REAL_CODEX="$$codex" $(TEST_SESSION) $(GO) test -race -tags $(TAGS) ./...

# --- Lint and vulnerability gate (make lint; part of make test) ------------
# go vet, staticcheck and govulncheck over the app's module and bench/ (its
# own module). The tools are pinned and installed by this Makefile into
# .cache/tools (GOBIN), one folder per version, so a bump reinstalls:
# staticcheck v0.8.2 is release 2026.2.2, the newest on the module proxy, and
# understands Go 1.26; govulncheck v1.9.0 likewise.
#
# govulncheck's database: vuln.go.dev cannot be reached from every machine
# that runs the tests (CI's network has only the package registries), so the
# database is built locally from golang.org/x/vulndb, the Go module that holds
# the Go vulnerability database's reports as OSV files (data/osv): the go
# command downloads it from the module proxy, and the database team's own
# tool, cmd/indexdb from that module, writes the v1 database that
# `govulncheck -db file://...` reads. VULNDB_VERSION pins the snapshot, so a
# run is reproducible; bump it (go list -m golang.org/x/vulndb@latest) to
# learn of newer vulnerabilities.
STATICCHECK_VERSION ?= v0.8.2
GOVULNCHECK_VERSION ?= v1.9.0
VULNDB_VERSION      ?= v0.0.0-20261105234957-e22db6528018
TOOLS_DIR   = $(CURDIR)/.cache/tools
STATICCHECK = $(TOOLS_DIR)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GOVULNCHECK = $(TOOLS_DIR)/govulncheck-$(GOVULNCHECK_VERSION)/govulncheck
INDEXDB     = $(TOOLS_DIR)/indexdb-$(VULNDB_VERSION)/indexdb
VULNDB      = $(CURDIR)/.cache/vulndb-$(VULNDB_VERSION)
LINT_MODULES = . bench

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOVULNCHECK):
	GOBIN=$(dir $@) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

$(INDEXDB):
	GOBIN=$(dir $@) $(GO) install golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION)

# `go mod download` runs outside this module (cd /) so it leaves go.sum alone.
$(VULNDB)/index/db.json: | $(INDEXDB)
	@src=$$(cd / && $(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	[ -d "$$src/data/osv" ] || { echo "make lint: golang.org/x/vulndb@$(VULNDB_VERSION) could not be downloaded or has no data/osv" >&2; exit 1; }; \
	echo "make lint: building the vulnerability database from golang.org/x/vulndb@$(VULNDB_VERSION)"; \
	rm -rf "$(VULNDB).tmp" && "$(INDEXDB)" -vulns "$$src/data/osv" -out "$(VULNDB).tmp" && \
	rm -rf "$(VULNDB)" && mv "$(VULNDB).tmp" "$(VULNDB)"

# Every check runs even after one fails; the last line names those that did.
lint: $(STATICCHECK) $(GOVULNCHECK) $(VULNDB)/index/db.json
	@failed=""; for mod in $(LINT_MODULES); do \
		echo "make lint: go vet, staticcheck $(STATICCHECK_VERSION), govulncheck $(GOVULNCHECK_VERSION) in module $$mod"; \
		(cd $$mod && $(GO) vet -tags $(TAGS) ./...) || failed="$$failed go-vet:$$mod"; \
		(cd $$mod && "$(STATICCHECK)" -tags $(TAGS) ./...) || failed="$$failed staticcheck:$$mod"; \
		(cd $$mod && "$(GOVULNCHECK)" -db "file://$(VULNDB)" -tags $(TAGS) ./...) || failed="$$failed govulncheck:$$mod"; \
	done; \
	if [ -n "$$failed" ]; then echo "make lint: FAILED:$$failed (the findings are above)" >&2; exit 1; fi; \
	echo "make lint: no findings"

# Figures side by side with peers (issue 9): bench/ is its own module so the
# peers' code (openai-go) is never the app's dependency. The built app runs
# under test-session.sh with the real tray host; one line per figure is
# printed, and bin/bench/raw.txt keeps the go test output for benchstat.
# BENCH_COUNT=N sets -count of the in-process benchmarks (default 5).
bench: deps-test build
	$(TEST_SESSION) env GO="$(GO)" TAGS="$(TAGS)" CODEXTRAY_BIN="$(CURDIR)/$(BIN)" bench/run.sh "$(CURDIR)/bin/bench"

# Regenerate the committed PNGs from the SVG sources (needs rsvg-convert from
# librsvg2-bin, installed by `make deps-test`).
icons:
	rsvg-convert -w 512 -h 512 assets/src/icon.svg -o assets/icon.png
	for s in $(ICON_SIZES); do rsvg-convert -w $$s -h $$s assets/src/icon.svg -o assets/icons/icon-$$s.png; done
	for t in $(TRAY_STATES); do rsvg-convert -w 64 -h 64 assets/tray/src/$$t.svg -o assets/tray/$$t.png; done
	# macOS template icons: black, with the opacity of the dark parts, so the
	# white glyphs become holes the menu bar shows through.
	for t in $(TRAY_STATES); do convert assets/tray/$$t.png \( +clone -colorspace gray -negate -evaluate multiply 1.6 \) \
		\( -clone 0 -alpha extract \) \( -clone 1 -clone 2 -compose multiply -composite \) -delete 0-2 \
		\( +clone -fill black -colorize 100 \) +swap -alpha off -compose copy_opacity -composite assets/tray/template/$$t.png; done

clean:
	rm -rf bin

# Release packages into bin/package (packaging/package.sh; PACKAGING.md): the
# Linux tarball, the .deb, the Windows .exe, the vendored source tarball with
# the Flatpak manifest, and macOS's Info.plist. The fyne tool is pinned: v1.7.4
# is the newest on the module proxy and builds with Go 1.26. The packages are
# rebuilt only when a non-test file of the work tree is newer than SHA256SUMS.
FYNE_TOOLS_VERSION ?= v1.7.4
FYNE        ?= $(CURDIR)/.cache/fyne-$(FYNE_TOOLS_VERSION)/fyne
PACKAGE_DIR ?= bin/package
PACKAGE_INPUTS = $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null | grep -v '_test\.go$$'))

deps-package:
	packaging/linux/build-deps.sh package

$(FYNE):
	GOBIN=$(dir $(FYNE)) $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION)

package: deps-package | $(FYNE)
	@$(MAKE) --no-print-directory $(PACKAGE_DIR)/SHA256SUMS

$(PACKAGE_DIR)/SHA256SUMS: $(PACKAGE_INPUTS) | $(FYNE)
	packaging/package.sh $(PACKAGE_DIR) $(FYNE)

# On a Mac: "Codex Tray.app" without a Dock icon, zipped (packaging/macos/package.sh).
package-macos: | $(FYNE)
	packaging/macos/package.sh $(PACKAGE_DIR) $(FYNE)

# `make test` builds the packages before the tests, once, outside go test's
# timeout; packaging/packaging_test.go checks them (its own `make package`
# then finds them up to date). Every run does, not only CI's: a test that
# cannot have what it checks fails, it does not skip.
packages-for-test:
	@$(MAKE) --no-print-directory package
