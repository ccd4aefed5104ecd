#!/usr/bin/env bash
# Neovim (Debian 0.7.2, headless) as a second real LSP client of `node bin/lockscope lsp` (~5 s).
# Needs `npm run build` first. Installs neovim with apt only if `nvim` is missing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
command -v nvim >/dev/null || e2e_apt neovim
[ -f "$E2E_REPO/dist/lockscope.js" ] || { echo "dist/lockscope.js missing: run npm run build" >&2; exit 1; }
OUT=${E2E_OUT:-$(mktemp -d /tmp/lockscope-nvim.XXXXXX)}
WS="$OUT/ws"; rm -rf "$WS"; mkdir -p "$WS"
cp "$E2E_REPO"/test/fixtures/workspaces/seed003-alloc-workqueue/*.[ch] "$WS/"
cp "$E2E_REPO/test/e2e/fixtures/gfp_spin.c" "$WS/"
fail=0
# case FILE EXPECT(RULE@LINE,...) [HOVER LINE:COL] [HOVER TEXT]
case_() {
  local file=$1 expect=$2 hover=${3:-} text=${4:-} json="$OUT/$(basename "$1" .c).json" rules
  rules=$(echo "$expect" | sed 's/@[0-9]*//g')
  ( cd "$WS" && LSP_CMD="node $E2E_REPO/bin/lockscope lsp --stdio" LSP_ROOT="$WS" LSP_FILE="$WS/$file" \
      LSP_EXPECT="$rules" LSP_HOVER="$hover" LSP_OUT="$json" HOME="$OUT" XDG_STATE_HOME="$OUT/state" \
      timeout 60 nvim --headless --clean -u "$HERE/init.lua" ) </dev/null >"$OUT/nvim-$file.log" 2>&1 || true
  if node "$HERE/check.mjs" "$json" "$expect" "$text"; then echo "PASS nvim $file"; else
    echo "FAIL nvim $file (see $json, $OUT/nvim-$file.log)"; fail=1; fi
}
case_ foo_userptr.c 'hotplug-under-lock@27,reclaim-under-lock@27' 27:8 alloc_workqueue
case_ gfp_spin.c 'sleep-in-atomic@25'
exit $fail
