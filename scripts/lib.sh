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
    # Made again when moved or copied from another path: its scripts' #! lines name the old one.
    local first=""
    [ -f "$env/bin/pip" ] && IFS= read -r first < "$env/bin/pip"
    if [ ! -f "$env/.complete" ] || [[ "$first" != "#!$env/bin/python"* ]]; then
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

# Debian packages the tiers call, installed by the project itself (a fresh machine has none of what a
# person once installed by hand; issue 15). `dpkg-query` decides, so a second run installs nothing.
#   chromium     the browser of tests/web (Playwright's own download cannot run here)
#   debootstrap  the Debian bullseye root in which tests/conversations runs the static Lambda artefact
#   zip, file    scripts/build-lambda packs and checks the artefacts
#   iproute2     ip netns / tc of tests/faults
#   curl         scripts and the README's examples
# (psql comes with the pgserver wheel that `cakap setup` unpacks; haproxy and wrk, the bench's
# anchors, are unpacked by the bench itself into $CAKAP_HOME.)
DEBIAN_PACKAGES=(chromium debootstrap zip unzip file iproute2 curl ca-certificates)  # apt-get install when missing
# Of those, the ones the machine image lacks: what `scripts/test --cold` removes first.
DEBIAN_PACKAGES_NOT_IN_IMAGE=(chromium debootstrap)

missing_debian_packages() {
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
    done
}

# Installs whatever of DEBIAN_PACKAGES (or the packages given) is missing; exit 1 with the list when it
# cannot (not root, or apt failed), so a tier never finds the gap minutes later.
ensure_debian_packages() {
    local wanted=("$@")
    [ ${#wanted[@]} -gt 0 ] || wanted=("${DEBIAN_PACKAGES[@]}")
    local missing
    missing="$(missing_debian_packages "${wanted[@]}" | tr '\n' ' ')"
    if [ -z "${missing// /}" ]; then
        echo "Debian packages present: ${wanted[*]}"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: $missing(run as root, or: apt-get install $missing)" >&2
        return 1
    fi
    echo "installing Debian packages: $missing"
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
        apt-get update >/dev/null 2>&1 || true
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null || {
            echo "apt-get install $missing failed" >&2
            return 1
        }
    fi
    missing="$(missing_debian_packages "${wanted[@]}" | tr '\n' ' ')"
    [ -z "${missing// /}" ] || { echo "still missing after apt-get: $missing" >&2; return 1; }
}

# Every tier's prerequisites, checked once before any tier runs: a gap is one clear line and exit 1
# here, never a pytest.fail deep inside a fixture (issue 15).
preflight_tiers() {
    local problems=() command artefact
    # objdump, openssl, dpkg-deb, chroot, mount: tests/rehearsal (AVX-512 check, its RDS CA, stand-in packages, roots)
    for command in /usr/bin/chromium debootstrap zip file ip tc objdump openssl dpkg-deb chroot mount; do
        command -v "$command" >/dev/null 2>&1 || problems+=("$command is missing (scripts/lib.sh installs it)")
    done
    for artefact in cakap-lambda.zip tutor-lambda.zip bootstrap; do
        [ -s "$REPO/.build/lambda/$artefact" ] || problems+=(".build/lambda/$artefact is missing (scripts/build-lambda)")
    done
    "$REPO/.build/debug/cakap" doctor >/dev/null 2>&1 || problems+=("cakap doctor reports a missing engine or model")
    [ -d "$REPO/../shared/data" ] || problems+=("../shared/data is missing (the evaluation data the tutor tests read)")
    # The source the rehearsal's AVX2 llama.cpp is built from (scripts/build-artefacts), from cakap setup.
    compgen -G "$CAKAP_HOME/engines/llama.cpp-*/src/llama.cpp/CMakeLists.txt" >/dev/null \
        || problems+=("no llama.cpp source under $CAKAP_HOME/engines (cakap setup unpacks it; scripts/build-artefacts needs it)")
    [ "$(id -u)" -eq 0 ] || problems+=("tests/faults and tests/rehearsal need root (ip netns, tc, mount, chroot)")
    if [ ${#problems[@]} -gt 0 ]; then
        printf 'prerequisite missing: %s\n' "${problems[@]}" >&2
        return 1
    fi
    echo "every tier's prerequisites are here"
}

# The RDS CA bundle the Lambda zips carry as global-bundle.pem (DB_SSLMODE=require verifies the
# chain and host name against DB_SSLROOTCERT=/var/task/global-bundle.pem; issue 19). Prints its
# path: $CAKAP_RDS_CA_BUNDLE when set, else a download of $CAKAP_RDS_CA_URL (AWS's truststore) into
# $CAKAP_HOME/downloads. Exit 1 with the reason when it cannot be had or is not X.509 PEM.
RDS_CA_URL_DEFAULT="https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
rds_ca_bundle() {
    local bundle="${CAKAP_RDS_CA_BUNDLE:-}"
    if [ -z "$bundle" ]; then
        local url="${CAKAP_RDS_CA_URL:-$RDS_CA_URL_DEFAULT}"
        bundle="$CAKAP_HOME/downloads/rds-global-bundle.pem"
        mkdir -p "$CAKAP_HOME/downloads"
        if ! curl --fail --silent --show-error --location --connect-timeout 10 --max-time 60 \
            --output "$bundle.part" "$url" 2>"$bundle.err"; then
            echo "cannot download the RDS CA bundle from $url ($(tr -d '\n' <"$bundle.err")): the Lambdas" \
                "verify RDS's certificate with it; download it on a machine with internet and set" \
                "CAKAP_RDS_CA_BUNDLE to the file" >&2
            rm -f "$bundle.part" "$bundle.err"
            return 1
        fi
        rm -f "$bundle.err"
        check_x509_pem "$bundle.part" "$url" || { rm -f "$bundle.part"; return 1; }
        mv "$bundle.part" "$bundle"
    fi
    check_x509_pem "$bundle" "CAKAP_RDS_CA_BUNDLE=$bundle" || return 1
    echo "$bundle"
}

# Exit 1 unless FILE holds one or more PEM X.509 certificates, each one parsed by openssl, and no
# other PEM block (a key has no place in a trust store); SOURCE names it in the message.
check_x509_pem() {
    local file="$1" source="$2" parts count=0 part others begins ends
    [ -s "$file" ] || { echo "$source: no file or an empty one, not a PEM bundle of X.509 certificates" >&2; return 1; }
    others="$(grep -c -e '^-----BEGIN ' "$file" || true)"
    begins="$(grep -c -e '^-----BEGIN CERTIFICATE-----' "$file" || true)"
    ends="$(grep -c -e '^-----END CERTIFICATE-----' "$file" || true)"
    if [ "$others" -ne "$begins" ] || [ "$begins" -ne "$ends" ]; then
        echo "$source is not a PEM bundle of X.509 certificates (it holds other PEM blocks, or unclosed ones)" >&2
        return 1
    fi
    parts="$(mktemp -d)"
    awk -v dir="$parts" '/^-----BEGIN CERTIFICATE-----/ { n++ } n { print > (dir "/" n ".pem") }' <(tr -d '\r' <"$file")
    for part in "$parts"/*.pem; do
        [ -e "$part" ] || break
        if ! openssl x509 -noout -in "$part" 2>/dev/null; then
            echo "$source: certificate $((count + 1)) is not a valid X.509 certificate" >&2
            rm -rf "$parts"
            return 1
        fi
        count=$((count + 1))
    done
    rm -rf "$parts"
    [ "$count" -gt 0 ] || { echo "$source holds no PEM certificate" >&2; return 1; }
}
