# Codex Tray. `make run` and `make test` work on a fresh Debian/Ubuntu machine:
# both install the system packages they miss (packaging/linux/build-deps.sh).

GO        ?= go
TAGS      ?= migrated_fynedo
BIN       ?= bin/codextray
# The real Codex CLI is installed from npm by the shared tool beside the repo.
REAL_CODEX_SH ?= $(CURDIR)/../shared/tools/real-codex.sh
REAL_CODEX_DIR ?= $(CURDIR)/.cache/codex
TEST_SESSION = packaging/linux/test-session.sh

TRAY_STATES = valid expiring expired relogin error apikey
ICON_SIZES  = 256 128 64 32 16

.PHONY: all build run deps-run deps-test test lint bench icons clean

all: build

deps-run:
	packaging/linux/build-deps.sh run

deps-test:
	packaging/linux/build-deps.sh test

build:
	$(GO) build -tags $(TAGS) -o $(BIN) .

run: deps-run build
	./$(BIN)

# Tests run inside a throwaway session: D-Bus, an unlocked gnome-keyring and
# Xvfb (see test-session.sh). CODEXTRAY_REAL_CODEX is the real Codex binary.
test: deps-test
	@codex=$$(bash "$(REAL_CODEX_SH)" "$(REAL_CODEX_DIR)") || { echo "make test: cannot install the real Codex CLI" >&2; exit 1; }; \
	echo "make test: real Codex CLI at $$codex"; \
	CODEXTRAY_REAL_CODEX="$$codex" $(TEST_SESSION) sh -c '$(GO) vet -tags $(TAGS) ./... && $(GO) test -race -tags $(TAGS) ./...'

lint:
	$(GO) vet -tags $(TAGS) ./...
	@if command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest; then \
		PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck -tags $(TAGS) ./...; \
	else \
		echo "make lint: staticcheck could not be installed; skipped"; \
	fi

bench:
	$(GO) test -tags $(TAGS) -run '^$$' -bench . ./...

# Regenerate the committed PNGs from the SVG sources (needs rsvg-convert from
# librsvg2-bin, installed by `make deps-test`).
icons:
	rsvg-convert -w 512 -h 512 assets/src/icon.svg -o assets/icon.png
	for s in $(ICON_SIZES); do rsvg-convert -w $$s -h $$s assets/src/icon.svg -o assets/icons/icon-$$s.png; done
	for t in $(TRAY_STATES); do rsvg-convert -w 64 -h 64 assets/tray/src/$$t.svg -o assets/tray/$$t.png; done

clean:
	rm -rf bin
