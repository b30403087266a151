#!/usr/bin/env bash
# Installs what the tests and the fault suite need and this machine lacks: the real servers they start, from
# Debian's packages. Stops early, saying what to do, when Node.js (for the dashboard's build) is missing or old.
set -euo pipefail

packages=()
command -v influxd >/dev/null 2>&1 || packages+=(influxdb)
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
# Alert deliveries are tested against a real Alertmanager.
[[ -x /usr/bin/prometheus-alertmanager ]] || packages+=(prometheus-alertmanager)
# /metrics is scraped by a real Prometheus, and the dashboard is opened in Debian's Chromium (through Playwright).
[[ -x /usr/bin/prometheus ]] || packages+=(prometheus)
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
# MQTT ingest is tested against a real broker.
[[ -x /usr/sbin/mosquitto ]] || packages+=(mosquitto)
# The deployment files are checked with yamllint and the chart's JSON schema.
command -v yamllint >/dev/null 2>&1 || packages+=(yamllint)
/usr/bin/python3 -c "import yaml, jsonschema" >/dev/null 2>&1 || packages+=(python3-yaml python3-jsonschema)
# The model workshop's scripts run under Debian's interpreter, which has torch and onnx.
/usr/bin/python3 -c "import torch, onnx, numpy" >/dev/null 2>&1 || packages+=(python3 python3-torch python3-onnx python3-numpy)
# The Python peer of the benchmarks (benchmarks/peer/peer.py) and its test.
/usr/bin/python3 -c "import confluent_kafka" >/dev/null 2>&1 || packages+=(python3-confluent-kafka)

# The dashboard's web assets are built with Node.js 20.19 or later and npm during the build; Debian 12's
# nodejs is older, so a missing or old one stops here with what to do instead of deep in the build.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a == 20 && b >= 19) ? 0 : 1)' 2>/dev/null \
    || ! command -v npm >/dev/null 2>&1; then
    echo "tests/install.sh: the build needs Node.js 20.19 or later with npm (https://nodejs.org, or NodeSource's Debian packages); found: $(node --version 2>/dev/null || echo none)" >&2
    exit 1
fi

if ((${#packages[@]})); then
    echo "tests/install.sh: installing ${packages[*]} from Debian" >&2
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    # Debian's package starts a system-wide influxd where systemd runs; the tests start their own.
fi

