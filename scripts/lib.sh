# Shared shell helpers of scripts/run and scripts/test.

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# as_root runs a command as root (directly, or with sudo).
as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

# apt_install installs Debian packages that are missing.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [[ ${#missing[@]} == 0 ]] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# need_node makes node and npm available.
need_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
}

# build_ui installs the UI's locked npm packages and builds it into ui/dist (embedded by go build).
build_ui() {
  log "building the web UI (ui/dist)"
  (cd ui && { [[ -d node_modules/vite ]] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build >/dev/null)
}

# wait_ready polls BASE/readyz for up to 60 s.
wait_ready() {
  for _ in $(seq 1 600); do
    curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "cairn did not become ready at $1"
  return 1
}
