#!/usr/bin/env bash
# Make promtool (from Debian's prometheus package) available as .work/bin/promtool, for the unit tests
# of the early_warning textfile and alert rules. Only promtool is unpacked from the .deb: installing the
# package would also start a Prometheus server on :9090 of this (shared) machine.
# usage: tools/get-promtool.sh   (prints the path; does nothing when promtool is already on PATH)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.work/bin
if command -v promtool >/dev/null; then command -v promtool; exit 0; fi
if [ -x "$BIN/promtool" ]; then echo "$BIN/promtool"; exit 0; fi
mkdir -p "$BIN"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1); then
  if [ "$(id -u)" = 0 ]; then apt-get update -q >/dev/null; fi
  (cd "$tmp" && apt-get download -q prometheus >/dev/null)
fi
dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
install -m 0755 "$tmp/usr/bin/promtool" "$BIN/promtool"
"$BIN/promtool" --version >/dev/null
echo "$BIN/promtool"
