#!/usr/bin/env bash
# The real servers and browser the tests start on loopback: PostgreSQL, Redis, Chromium and
# ChromeDriver, from Debian's packages. Installs only what is missing (CI runs as root on a fresh
# machine); without root and with something missing it says what to install and fails.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
    exit 1
fi
echo "installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# Debian's postgresql package would start a cluster of its own; the tests start theirs.
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
