# Shared helpers for the e2e scripts (sourced, not run).
# Cache of the big tools (Node 24, code-server, playwright-core, mocha): outside the repo so a
# fresh clone reuses it; override with LOCKSCOPE_E2E_CACHE.
E2E_CACHE=${LOCKSCOPE_E2E_CACHE:-${HOME:-/root}/.cache/lockscope-e2e}
E2E_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
MOCHA_VERSION=12.0.3
export DEBIAN_FRONTEND=noninteractive CI=${CI:-true}
# Run from `npm test`, these scripts inherit npm's environment: npm_config_user_agent names the
# outer Node (code-server's postinstall reads its Node version from it and refuses v20),
# npm_node_execpath, NODE and npm_config_* steer nested installs to the outer Node and settings.
# Every nested npm here must start as if from a shell: npm's own variables are dropped, but for
# where packages come from (registry, cache, certificates, proxies), which a user may have set.
while read -r var; do unset "$var"; done < <(
  compgen -e | grep -E '^(npm_|NODE$|INIT_CWD$)' |
    grep -viE '^npm_config_(registry|cache|cafile|ca|proxy|https_proxy|noproxy|strict_ssl|userconfig)$'
)
# npm must never prompt; the machine's npmrc sets nodedir=/usr (Node 20 headers), overridden per use.
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

e2e_log() { printf '[e2e %s] %s\n' "$(date +%T)" "$*" >&2; }
e2e_time() { local s=$SECONDS; "$@"; local rc=$?; e2e_log "$(( SECONDS - s ))s: $*"; return $rc; }

# apt-get install only the Debian packages that are missing (one `apt-get update` at most).
e2e_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || { e2e_log "need root to apt-get install ${missing[*]}"; return 1; }
  e2e_log "apt-get install ${missing[*]}"
  if [ -z "${E2E_APT_UPDATED:-}" ]; then apt-get update -qq >&2 && E2E_APT_UPDATED=1; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# npm install of fixed versions into a cache prefix, once (a stamp file marks success).
e2e_npm_cached() {
  local prefix=$1; shift
  local stamp="$prefix/.lockscope-e2e-ok" want="$*"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  rm -rf "$prefix"; mkdir -p "$prefix"
  e2e_log "npm install $want -> $prefix"
  npm install --prefix "$prefix" --no-save --no-package-lock --loglevel=error "$@" >&2 && echo "$want" >"$stamp"
}
