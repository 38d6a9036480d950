# Shared by scripts/run and scripts/test: build the Swift package and provision engines and models.
# Everything heavy is cached under $CAKAP_HOME (default ~/.cache/cakap), outside the clone.
set -euo pipefail
shopt -s inherit_errexit
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CAKAP_HOME="${CAKAP_HOME:-$HOME/.cache/cakap}"
mkdir -p "$CAKAP_HOME"

step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

# A virtual environment per requirements file, keyed by the file's hash: reused while it is unchanged.
python_env() {
    local requirements="$1" name="$2"
    local key
    key="$(sha256sum "$requirements" | cut -c1-12)"
    local env="$CAKAP_HOME/python-$name-$key"
    if [ ! -f "$env/.complete" ]; then
        rm -rf "$env"
        python3 -m venv "$env" >&2 || return 1
        if ! "$env/bin/pip" install --quiet -r "$requirements" >&2; then
            rm -rf "$env"
            echo "pip could not install $requirements" >&2
            return 1
        fi
        touch "$env/.complete"
    fi
    echo "$env"
}

# Debian's chromium for the browser tests (tests/web): installed with apt-get when missing (the
# machines run as root and reach Debian's packages); a non-root run must have it already.
ensure_chromium() {
    if [ -x /usr/bin/chromium ]; then
        /usr/bin/chromium --version 2>/dev/null || true
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "/usr/bin/chromium is missing: apt-get install chromium" >&2
        return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
        || { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }
    /usr/bin/chromium --version
}
