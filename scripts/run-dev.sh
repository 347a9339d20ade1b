#!/usr/bin/env bash
# `make run`: the development server and, beside it, the mail worker that delivers the outbox
# (without MAIL_SERVER it prints each message, links included, in this terminal). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
# Links in mail and feeds point at this server unless SITE_URL is set (here or in .env). On the
# loopback address the name is localhost: browsers refuse an IP address as a passkey's relying
# party, and localhost is a secure context as 127.0.0.1 is.
if [ -z "${SITE_URL:-}" ] && ! grep -qs '^SITE_URL=' .env; then
  case "${HOST:-127.0.0.1}" in
    127.0.0.1 | localhost) export SITE_URL="http://localhost:${PORT:-5000}" ;;
    *) export SITE_URL="http://${HOST}:${PORT:-5000}" ;;
  esac
fi
echo "Inkwell: open ${SITE_URL:-http://localhost:${PORT:-5000}} (mail is printed here)"
"$BIN/flask" --app wsgi mail worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM
"$BIN/flask" --app wsgi run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
