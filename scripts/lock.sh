#!/usr/bin/env bash
# `make lock`: resolve requirements*.in into requirements*.txt with pip-tools' pip-compile. Every
# package is pinned with the sha256 of every file PyPI publishes for that version (all platforms,
# so psycopg-binary's and greenlet's Linux x86_64 and aarch64 wheels are all covered), and the
# Makefile installs with `pip install --require-hashes`: exactly what was locked, or nothing.
# The pins already in requirements*.txt are kept; nothing is upgraded unless asked:
#   make lock                       add what the .in files gained, keep every other pin
#   make lock UPGRADE=1             re-resolve everything to the newest versions
#   make lock UPGRADE="flask nh3"   move only the named packages (and what they need)
# requirements-dev.txt holds the runtime pins too (constrained to requirements.txt), so it
# installs on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2

compile=(
  "$tmp/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras
  --no-emit-index-url --no-emit-find-links
)
case "${UPGRADE:-}" in
  "") ;;
  1) compile+=(--upgrade) ;;
  *) for package in $UPGRADE; do compile+=(--upgrade-package "$package"); done ;;
esac
export CUSTOM_COMPILE_COMMAND="make lock"  # the header names the command to run
"${compile[@]}" --output-file requirements.txt requirements.in
"${compile[@]}" --output-file requirements-dev.txt requirements-dev.in
echo "requirements.txt: $(grep -c '^[A-Za-z0-9]' requirements.txt) pins;" \
  "requirements-dev.txt: $(grep -c '^[A-Za-z0-9]' requirements-dev.txt) (runtime included)"
