#!/usr/bin/env bash
# Installs the Debian packages that Code Pay's tests drive for real. CI (.ci/run) calls this; on a
# developer machine, run it once with root (or sudo). Only missing packages are installed.
#
#   socat            pseudo-terminal pairs: the agent's real serialport streams meet the simulated devices
#   postgresql       a throwaway PostgreSQL on loopback: the ledger suite runs on it as well as on SQLite
#   chromium         the browser playwright-core drives for the page tests (never a browser download)
#   fonts-ipafont-gothic
#                    Japanese glyphs, so the shopper page's Japanese renders in chromium (screenshots)
#   mosquitto, mosquitto-clients
#                    a broker and MQTT clients nobody here wrote: isolation tests, external-broker deployment
#   openssl          `codepay-server admin tls ...` makes the CA and certificates for MQTT over TLS (and its tests)
#   nats-server      the clustered broker (MQTT on JetStream): the cluster register line, its failover test and bench
set -euo pipefail

packages=(socat postgresql chromium fonts-ipafont-gothic mosquitto mosquitto-clients openssl nats-server)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
    echo "system packages missing: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
