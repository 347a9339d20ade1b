#!/usr/bin/env bash
# Create the project's virtual environment. Debian ships Python's venv module separately
# (python3-venv); as root it is installed here, otherwise the message says what to run.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if ! command -v "$python" >/dev/null; then
  echo "make: $python not found; install Python 3.11 or newer (Debian: apt-get install python3)." >&2
  exit 1
fi
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "make: Inkwell needs Python 3.11 or newer; $python is $("$python" --version 2>&1)." >&2
  exit 1
}
if "$python" -m venv "$venv" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "==> Installing python3-venv with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  "$python" -m venv "$venv"
else
  echo "make: Python's venv module is missing. Run: sudo apt-get install python3-venv" >&2
  exit 1
fi
