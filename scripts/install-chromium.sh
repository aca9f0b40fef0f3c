#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (console, widget), with
# a CJK font so Chinese pages render (and show in screenshots) as text.
#
# The tests drive it headless from Go (chromedp). JIEDA_CHROMIUM points
# them at another Chromium or Chrome binary instead.
set -euo pipefail

if [ -n "${JIEDA_CHROMIUM:-}" ] && [ -x "$JIEDA_CHROMIUM" ]; then
  echo "chromium: $JIEDA_CHROMIUM (JIEDA_CHROMIUM)"
  exit 0
fi
if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; then
  echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null | head -1))"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-chromium: no apt-get here; install Chromium and set JIEDA_CHROMIUM to its binary" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-chromium: run as root or install sudo (apt-get install chromium)" >&2; exit 1; }
  sudo="sudo"
fi
# An apt index that does not know the package yet is refreshed once.
if ! apt-cache show chromium fonts-wqy-microhei >/dev/null 2>&1; then
  $sudo apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null
echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null | head -1))"
