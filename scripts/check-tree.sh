#!/usr/bin/env bash
# Keeps the tree clean: sources only, go.mod tidy, gofmt and staticcheck
# silent. Run by `make vet`, and so by `make test` and CI.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
fail=0
say() { echo "check-tree: $*" >&2; fail=1; }

# Tracked files: nothing over 1 MB, no compiled binaries.
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  size=$(stat -c %s "$f" 2>/dev/null || stat -f %z "$f")
  [ "$size" -gt 1048576 ] && say "$f is $size bytes: the repository holds nothing over 1 MB"
  magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
    7f454c46|cffaedfe|cefaedfe|feedfacf|feedface|cafebabe) say "$f is a compiled binary: build it, don't commit it" ;;
    4d5a*) [[ "$f" == *.exe || "$f" == *.dll ]] && say "$f is a compiled binary: build it, don't commit it" ;;
  esac
done < <(git ls-files -z)

# go.mod and go.sum are what `go mod tidy` makes.
if ! out=$($GO mod tidy -diff 2>&1); then
  say "go mod tidy would change go.mod or go.sum; run it and commit the result:"
  echo "$out" | head -20 >&2
fi

# gofmt has nothing to change.
bad=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
[ -n "$bad" ] && say "gofmt would change: $bad"

# staticcheck, pinned, finds nothing. It is built as it is, and reads the
# packages with the build flags in VETFLAGS: make passes -race, so that it
# shares the compiled packages of the race suite instead of compiling every
# package once more.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
if ! out=$(GOFLAGS= GOBIN="$bin" $GO install "$STATICCHECK" 2>&1); then
  say "staticcheck could not be built: $out"
elif ! out=$(GOFLAGS="${VETFLAGS:-}" "$bin/staticcheck" ./... 2>&1); then
  say "staticcheck:"
  echo "$out" | head -40 >&2
fi

exit $fail
