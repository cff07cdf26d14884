# Codex Tray. `make run` and `make test` work on a fresh Debian/Ubuntu machine:
# both install the system packages they miss (packaging/linux/build-deps.sh).

GO        ?= go
TAGS      ?= migrated_fynedo
BIN       ?= bin/codextray
# The real Codex CLI is installed from npm by the shared tool beside the repo.
REAL_CODEX_SH ?= $(CURDIR)/../shared/tools/real-codex.sh
REAL_CODEX_DIR ?= $(CURDIR)/.cache/codex
TEST_SESSION = packaging/linux/test-session.sh
# The commit `codextray version` prints (Go's own VCS stamp may be off, as
# with GOFLAGS=-buildvcs=false).
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS  ?= -X github.com/codextray/codextray/core/cli.commit=$(COMMIT)

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
test: deps-test packages-for-test
	@codex=$$(bash "$(REAL_CODEX_SH)" "$(REAL_CODEX_DIR)") || { echo "make test: cannot install the real Codex CLI" >&2; exit 1; }; \
	echo "make test: real Codex CLI at $$codex"; \
	CODEXTRAY_REAL_CODEX="$$codex" $(TEST_SESSION) sh -c '$(GO) vet -tags $(TAGS) ./... && $(GO) test -race -tags $(TAGS) ./...'

lint:
	$(GO) vet -tags $(TAGS) ./...
	cd bench && $(GO) vet -tags $(TAGS) ./...
	@if command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest; then \
		PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck -tags $(TAGS) ./...; \
	else \
		echo "make lint: staticcheck could not be installed; skipped"; \
	fi

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

# With CI=true or CODEXTRAY_TEST_PACKAGING=1, `make test` builds the packages
# before the tests, once, outside go test's timeout; packaging/packaging_test.go
# checks them (its own `make package` then finds them up to date).
packages-for-test:
	@if [ "$${CI:-}" = true ] || [ "$${CODEXTRAY_TEST_PACKAGING:-}" = 1 ]; then \
		$(MAKE) --no-print-directory package; \
	fi
