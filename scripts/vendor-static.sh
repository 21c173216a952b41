#!/usr/bin/env bash
# Refresh the front-end libraries vendored under static/vendor/.
#
# Each library lands in static/vendor/<name>-<version>/ with its licence
# beside it, so the app works offline and a version bump is a visible diff.
# Bump a version here, run this script, update the paths in
# templates/base.html, and delete the old folder.
set -euo pipefail

HTMX=2.0.11
HTMX_WS=2.0.4
BOOTSTRAP=5.3.9

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts \
  "htmx.org@$HTMX" "htmx-ext-ws@$HTMX_WS" "bootstrap@$BOOTSTRAP" >/dev/null

copy() {  # copy <package> <target folder> <file>...
  local package=$1 target=$vendor/$2
  shift 2
  rm -rf "$target"
  mkdir -p "$target"
  for file in "$@"; do
    cp "node_modules/$package/$file" "$target/"
  done
  cp "node_modules/$package/LICENSE" "$target/LICENSE"
}

copy htmx.org "htmx-$HTMX" dist/htmx.min.js
copy htmx-ext-ws "htmx-ext-ws-$HTMX_WS" dist/ws.min.js
copy bootstrap "bootstrap-$BOOTSTRAP" dist/css/bootstrap.min.css \
  dist/css/bootstrap.min.css.map dist/js/bootstrap.bundle.min.js \
  dist/js/bootstrap.bundle.min.js.map
echo "vendored htmx $HTMX, htmx-ext-ws $HTMX_WS, bootstrap $BOOTSTRAP into $vendor"
