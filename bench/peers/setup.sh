#!/usr/bin/env bash
# Creates .venv-peers at the repo root (if missing) and installs bench/peers/requirements.txt.
# Idempotent and quiet: a second run with everything in place does no network work.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-peers"
req="$here/requirements.txt"
stamp="$venv/.peers-requirements.sha256"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >/dev/null
fi

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
    && "$venv/bin/python" -c 'import dbos, langgraph, langgraph.checkpoint.sqlite' 2>/dev/null; then
    exit 0
fi

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
