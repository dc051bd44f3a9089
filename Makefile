# deckhand's build and checks. `make test` is what CI runs.
GO ?= go
BIN := bin/deckhand

.PHONY: build demo test ci-vet ci-race ci-tree test-go test-race test-editors vet govet tree platforms bench soak hostile fuzz test-nvim test-vscode test-acp vsix clean cross

build:
	$(GO) build -o $(BIN) ./cmd/deckhand

# The README's first command: deckhand's main job, against a built-in fake of OpenAI.
demo: build
	./$(BIN) demo

# Every release target must build: the editors ship one binary per platform.
CROSS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
cross:
	@set -e; for t in $(CROSS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "cross: $$os-$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -o bin/deckhand-$$os-$$arch$$ext ./cmd/deckhand; \
	done

# Every release target compiles: each is type-checked from source and
# deckhand's own assembly is compiled for it (scripts/platforms), seconds
# where `make cross` spends a full compile of the tree per target. CI runs
# this; `make cross` and `make vsix` build the binaries themselves.
platforms:
	$(GO) run ./scripts/platforms $(CROSS)

# go vet, and a tree that stays clean: nothing over 1 MB, no binaries,
# go.mod tidy, gofmt and a pinned staticcheck silent (scripts/check-tree.sh).
# Both read the packages as the race suite builds them (VETFLAGS), so next
# to it they compile nothing again.
VETFLAGS ?= -race
vet: govet tree

govet:
	$(GO) vet $(VETFLAGS) ./...

tree:
	GO=$(GO) VETFLAGS="$(VETFLAGS)" scripts/check-tree.sh

# Everything CI runs: the Go suite under the race detector, vet, the tree
# check and the platform check, and the editors' suites against the real
# binary. deckhand is built once first (every job needs it, and jobs
# compiling the same packages at once do the work twice). Then up to three
# jobs run at a time, since the editors' suites mostly wait on the processes
# they drive: go vet with -race compiles what the race suite and staticcheck
# then read, and both wait for it; the editors' suites and the platform
# check need nothing more. Each job's output is printed whole when it ends.
test:
	scripts/test-deps.sh test
	$(MAKE) build
	$(MAKE) -j3 -Otarget ci-race ci-tree test-vscode test-nvim test-acp platforms

ci-vet:
	$(GO) vet -race ./...

ci-race: ci-vet
	$(GO) test -race -count=1 -timeout 12m ./...

ci-tree: ci-vet
	GO=$(GO) VETFLAGS=-race scripts/check-tree.sh

test-go:
	scripts/test-deps.sh test
	$(MAKE) test-race
	$(MAKE) vet
	$(MAKE) platforms

test-race:
	$(GO) test -race -count=1 -timeout 12m ./...

test-editors:
	$(MAKE) test-nvim
	$(MAKE) test-acp
	$(MAKE) test-vscode

bench:
	scripts/test-deps.sh bench
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20x ./tools/ ./tools/patch/ ./tools/codemode/ ./e2e/

# The hostile group alone: attacks on deckhand reproduced against the built
# binary (also part of test-go).
hostile:
	$(GO) test -race -count=1 -run 'Hostile|ReadRace|WriteRace' ./e2e/ ./tools/ ./auth/

# The long storms: 300 rounds of deckhand processes killed (kill -9), and
# their refresh helpers sent hangups and terminates, in the middle of
# refreshing a rotating token; none may lose the login. Then 735 SIGTERMs
# at any moment of a start, a turn or the sandbox's exec, on the race build
# and the cgo, static and pure-Go ones; none may crash.
soak:
	DECKHAND_SOAK=1 $(GO) test -count=1 -timeout 40m -run 'TestRefreshStorm|TestHostileSigtermStorm' -v ./e2e/

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzStream -fuzztime 60s ./jsonrpc/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./tools/patch/

# The VS Code extension: unit tests against the real binary, packaging, and
# a real VS Code UI (code-server in Chromium); downloads are kept in
# $$DECKHAND_CACHE (~/.cache/deckhand).
test-vscode: build
	MAKEFLAGS= editors/vscode/scripts/test.sh

vsix:
	editors/vscode/scripts/vsix.sh

# The Neovim plugin: mini.test cases in a child Neovim 0.10 and a tmux run of
# the real terminal UI, against the real binary; Neovim is kept in
# $$DECKHAND_CACHE (~/.cache/deckhand).
test-nvim: build
	MAKEFLAGS= editors/nvim/scripts/test.sh

# The ACP face: the official ACP client library drives `deckhand acp`
# against the fake of OpenAI.
test-acp: build
	MAKEFLAGS= editors/acp-test/scripts/test.sh

clean:
	rm -rf bin
