#!/usr/bin/env bash
# Installs the Debian packages that the build, the demo and the tests need
# (scripts/packages), or those of another list:  scripts/deps.sh [LIST]
# As root it installs what is missing; otherwise it says what to install.
set -euo pipefail

list=${1:-$(dirname "$0")/packages}

missing=""
while read -r p; do
    [ -n "$p" ] || continue
    dpkg -s "$p" > /dev/null 2>&1 || missing="$missing $p"
done < "$list"

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing" >&2
    echo "install them with: sudo apt-get install$missing" >&2
    exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing > /dev/null
