#!/usr/bin/env bash
# Runs every test of Forecast on a fresh machine: installs the real servers the tests start
# (from Debian's packages) when they are missing, then runs `dotnet test` on the solution.
# Extra arguments go to `dotnet test` (for example: --filter FullyQualifiedName~Grains).
set -euo pipefail
cd "$(dirname "$0")/.."

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

# The dashboard's web assets are built with Node.js 20.19 or later and npm during the build; Debian 12's
# nodejs is older, so a missing or old one stops here with what to do instead of deep in the build.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a == 20 && b >= 19) ? 0 : 1)' 2>/dev/null \
    || ! command -v npm >/dev/null 2>&1; then
    echo "tests/run.sh: the build needs Node.js 20.19 or later with npm (https://nodejs.org, or NodeSource's Debian packages); found: $(node --version 2>/dev/null || echo none)" >&2
    exit 1
fi

if ((${#packages[@]})); then
    echo "tests/run.sh: installing ${packages[*]} from Debian" >&2
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    # Debian's package starts a system-wide influxd where systemd runs; the tests start their own.
fi

# The test projects run in parallel and their output interleaves, so a failure is repeated at the end,
# where CI's tail of the log shows it.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Forecast.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if ((status != 0)); then
    echo
    echo "tests/run.sh: dotnet test failed (exit $status). What failed:"
    grep -E ": error [A-Z]+[0-9]+|Test Run Aborted|test run was aborted|Total tests:|^ +Failed: " "$log" | head -40
    awk '/^  Failed [A-Za-z]/ {n = 30} n > 0 {print; n--}' "$log" | cut -c1-400 | head -200
fi
exit "$status"
