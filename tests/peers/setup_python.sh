#!/usr/bin/env bash
# Creates the test venv .cache/venv and installs tests/requirements.txt into it.
# Idempotent: reinstalls only when requirements.txt (or the python) changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$ROOT/.cache/venv"
REQS="$ROOT/tests/requirements.txt"
PYTHON=${PYTHON:-python3}

want=$( (cat "$REQS"; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)
[[ -x $VENV/bin/python && $(cat "$VENV/.stamp" 2>/dev/null) == "$want" ]] && exit 0

# A venv is tied to the interpreter it was made with: start over if that changed.
if [[ -x $VENV/bin/python ]] &&
   [[ $("$VENV/bin/python" -c 'import sys; print(sys.version)' 2>/dev/null) != $("$PYTHON" -c 'import sys; print(sys.version)') ]]; then
  rm -rf "$VENV"
fi
if [[ ! -x $VENV/bin/python ]]; then
  mkdir -p "$ROOT/.cache"
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$VENV/.stamp"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$VENV/bin/pip" install -q -r "$REQS" </dev/null
echo "$want" >"$VENV/.stamp"
echo "setup_python: venv ready in ${VENV#"$ROOT/"}"
