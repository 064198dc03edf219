#!/usr/bin/env bash
# Creates (once) a virtualenv with the official Segmind Python SDK, pinned,
# for the SDK compatibility test (tests/tests/python_sdk.rs) and the
# SDK comparison benchmark (tests/benches/sdk_compare.rs).
#
#   tests/python/setup-venv.sh          # prints the venv's python on stdout
#
# Environment:
#   SEGMIND_SDK_VENV  where the venv lives (default: <workspace>/target/python-venv)
#   PYTHON            the interpreter that creates it (default: python3)
#
# Exit codes:
#   0   the venv has segmind==1.3.0; its python is the only line on stdout
#   75  PyPI (or the configured index) cannot be reached: callers may skip
#   1   anything else (no python3, no venv module, a failed install, ...)
#
# Idempotent: when the venv already has the pinned version, nothing is
# installed and no network is used. Progress goes to stderr.
set -euo pipefail

SDK_VERSION="1.3.0"
EXIT_UNREACHABLE=75

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${SEGMIND_SDK_VENV:-$root/target/python-venv}"
python="${PYTHON:-python3}"
venv_python="$venv/bin/python"

log() { echo "setup-venv: $*" >&2; }

has_sdk() {
    [ -x "$venv_python" ] && "$venv_python" - "$SDK_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
sys.exit(0 if version("segmind") == sys.argv[1] else 1)
EOF
}

# Whether the package index answers at all (honours PIP_INDEX_URL and the
# proxy variables, as pip does).
index_reachable() {
    "$python" - <<'EOF' >&2
import os, sys, urllib.request
index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
url = index + "/segmind/"
try:
    urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10)
except urllib.error.HTTPError as e:
    # An answer, even an error, means the index is reachable.
    sys.exit(0 if e.code < 500 else 1)
except Exception as e:
    print(f"setup-venv: {url} unreachable: {e}", file=sys.stderr)
    sys.exit(1)
EOF
}

mkdir -p "$(dirname "$venv")"
# Serialise concurrent runs (a test and a bench at once) on one lock.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv.lock"
    flock 9
fi

if has_sdk; then
    log "segmind==$SDK_VERSION already installed in $venv"
    echo "$venv_python"
    exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
    log "no $python on PATH"
    exit 1
fi

# A venv that lacks a working python (an interrupted run) is rebuilt.
if ! "$venv_python" -c 'import pip' >/dev/null 2>&1; then
    log "creating $venv with $("$python" --version 2>&1)"
    if ! "$python" -m venv --clear "$venv" >&2; then
        log "'$python -m venv' failed (on Debian/Ubuntu install the python3-venv package)"
        exit 1
    fi
fi

pip_install() {
    "$venv_python" -m pip install --quiet --no-input --disable-pip-version-check \
        --timeout 30 --retries 1 "$@" "segmind==$SDK_VERSION" >&2
}

installed() {
    if has_sdk; then
        echo "$venv_python"
        exit 0
    fi
    log "pip succeeded but segmind==$SDK_VERSION is not importable from $venv"
    exit 1
}

# Probe first: an unreachable index is known in seconds, where pip's own
# retries on a black-holed network would take minutes.
if ! index_reachable; then
    # Local wheels (PIP_FIND_LINKS) may still have it.
    if [ -n "${PIP_FIND_LINKS:-}" ] && pip_install --no-index 2>/dev/null; then
        installed
    fi
    log "PyPI is unreachable: the Python SDK could not be installed"
    exit "$EXIT_UNREACHABLE"
fi

log "installing segmind==$SDK_VERSION"
if pip_install; then
    installed
fi
if ! index_reachable; then
    log "PyPI became unreachable during the install"
    exit "$EXIT_UNREACHABLE"
fi
log "pip install segmind==$SDK_VERSION failed although the index is reachable"
exit 1
