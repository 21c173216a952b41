#!/bin/sh
# Install Debian's Chromium for the browser tests, unless it is there.
# Playwright drives this binary; it never downloads a browser of its own.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Chromium is missing and this user cannot install it:" >&2
  echo "  run 'apt-get install -y chromium' as root, then 'make test' again." >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
