#!/usr/bin/env bash
# Lockscope end-to-end tests, offline except the npm registry and Debian packages, as root, no stdin:
#   vsix    package with vsce and check the VSIX (test/e2e/vsix-contents.test.mjs)
#   nvim    Neovim 0.7 (Debian) headless as an LSP client of `lockscope lsp` (test/e2e/nvim/)
#   vscode  code-server (real VS Code 1.139) + the VSIX: extension-host mocha + Chromium UI (test/e2e/vscode/)
# Usage: test/e2e/run.sh [vsix] [nvim] [vscode] [--update-screenshots]   (default: all three)
# The big tools are cached in $LOCKSCOPE_E2E_CACHE (default ~/.cache/lockscope-e2e): cold ~3-5 min, warm
# ~1 min. Output (logs, VSIX, screenshots) in $E2E_OUT (default a new /tmp/lockscope-e2e.XXXXXX).
# --update-screenshots copies docs/images/diagnostic-hover.png and report.png from the VS Code run.
# Last line: "N passed, M failed" (skips on the line before); exit status 1 when anything failed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
cd "$E2E_REPO"

SUITES=()
SHOTS_TO=
for a in "$@"; do
  case "$a" in
    vsix | nvim | vscode) SUITES+=("$a") ;;
    --update-screenshots) SHOTS_TO="$E2E_REPO/docs/images" ;;
    *) echo "usage: $0 [vsix] [nvim] [vscode] [--update-screenshots]" >&2; exit 2 ;;
  esac
done
[ ${#SUITES[@]} -eq 0 ] && SUITES=(vsix nvim vscode)
want() { [[ " ${SUITES[*]} " == *" $1 "* ]]; }

OUT=${E2E_OUT:-$(mktemp -d /tmp/lockscope-e2e.XXXXXX)}
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"
START=$SECONDS

# Runs one suite, tees its output to a log and keeps its PASS/FAIL/SKIP lines; a suite that fails
# without saying which check failed counts as one failure.
suite() {
  local name=$1 log="$OUT/$1.log" rc
  shift
  e2e_log "== $name"
  local s=$SECONDS
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  grep -E '^(PASS|FAIL|SKIP) ' "$log" >>"$RESULTS" || true
  if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$log"; then echo "FAIL $name: exit code $rc (see $log)" | tee -a "$RESULTS"; fi
  e2e_log "== $name: $(( SECONDS - s ))s, exit $rc"
}

# TAP from node --test -> PASS/FAIL lines (top-level tests only).
tap_to_lines() {
  awk '/^ok [0-9]+ - / { sub(/^ok [0-9]+ - /, ""); print "PASS vsix: " $0; next }
       /^not ok [0-9]+ - / { sub(/^not ok [0-9]+ - /, ""); print "FAIL vsix: " $0; next }
       { print }'
}

# 0. dependencies and bundles (esbuild only: the type check is `npm run build`'s job)
if [ ! -x node_modules/.bin/vsce ] || [ ! -d node_modules/esbuild ]; then
  e2e_time npm ci --no-audit --no-fund >&2 || { echo "FAIL setup: npm ci"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! e2e_time node scripts/build.mjs >&2; then
  echo "FAIL setup: node scripts/build.mjs"
  echo "0 passed, 1 failed"
  exit 1
fi

# Debian packages the suites need, in one apt-get run (each suite also checks its own).
APT=()
want nvim && ! command -v nvim >/dev/null && APT+=(neovim)
want vscode && APT+=(chromium)
want vscode && [ ! -f "$E2E_CACHE/code-server-$CODE_SERVER_VERSION/.lockscope-e2e-ok" ] &&
  APT+=(libkrb5-dev build-essential python3 pkg-config)
[ ${#APT[@]} -eq 0 ] || e2e_time e2e_apt "${APT[@]}" >&2 || echo "apt-get install ${APT[*]} failed" >&2

VSIX="$OUT/lockscope.vsix"
if want vsix || want vscode; then
  package_vsix() {
    node_modules/.bin/vsce package --no-dependencies --skip-license --no-rewrite-relative-links \
      -o "$VSIX" </dev/null >"$OUT/vsce.log" 2>&1
  }
  if ! e2e_time package_vsix; then
    cat "$OUT/vsce.log"
    echo "FAIL vsix: vsce package" | tee -a "$RESULTS"
  fi
fi

if want vsix; then
  vsix_suite() {
    LOCKSCOPE_VSIX="$VSIX" node --test --test-reporter=tap "$HERE/vsix-contents.test.mjs" | tap_to_lines
    return "${PIPESTATUS[0]}"
  }
  suite vsix vsix_suite
fi
want nvim && suite nvim env E2E_OUT="$OUT/nvim" bash "$HERE/nvim/run.sh"
want vscode && [ -f "$VSIX" ] &&
  suite vscode env E2E_OUT="$OUT/vscode" LOCKSCOPE_VSIX="$VSIX" SHOTS_TO="$SHOTS_TO" bash "$HERE/vscode/run.sh"

PASSED=$(grep -c '^PASS ' "$RESULTS")
FAILED=$(grep -c '^FAIL ' "$RESULTS")
SKIPPED=$(grep -c '^SKIP ' "$RESULTS")
echo
echo "e2e summary ($(( SECONDS - START ))s, output in $OUT):"
sed 's/^/  /' "$RESULTS"
[ "$SKIPPED" = 0 ] || echo "($SKIPPED skipped: optional checks, or features the server does not have yet)"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
