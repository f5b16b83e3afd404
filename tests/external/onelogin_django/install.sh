#!/usr/bin/env bash
# Installs the independent relying party (govuk-onelogin-django) into its own venv, .venv-django
# at the repository root. It pins its own authlib, so it cannot share .venv.
# Idempotent and quick when nothing changed: a stamp file holds the hash of requirements.txt
# and the interpreter version, and pip runs only when that hash differs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${GOVSIGNIN_DJANGO_VENV:-$root/.venv-django}"
python="${PYTHON:-python3}"
requirements="$here/requirements.txt"
stamp="$venv/.installed"

want="$( { cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

echo "install.sh: installing govuk-onelogin-django into $venv" >&2
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
"$venv/bin/python" -c 'import django, govuk_onelogin_django.utils' >/dev/null
echo "$want" > "$stamp"
