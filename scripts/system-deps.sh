#!/usr/bin/env bash
# Installs the Debian packages SQM's browser tests, PDF reports and Spark need, when missing.
# Needs root (or passwordless sudo); otherwise says what to install and carries on, and the
# browser tests skip with that reason.
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || packages+=(fonts-noto-cjk)
# Java for the KPI engine's Spark runtime (`sqm kpi compute --engine spark`, its tests).
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo"
else
  echo "system-deps: please install: ${packages[*]} (apt-get install ${packages[*]})" >&2
  exit 0
fi
echo "system-deps: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
