#!/usr/bin/env bash
# The fault suite: faults injected into real servers and silo processes under load, with a JSON report of
# readings produced, durable and lost, recovery times and peak memory. Installs what it needs first, like
# tests/run.sh. Options: tests/faults/run.sh --help. It takes about 10 minutes with its defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/install.sh
dotnet build tests/faults/Forecast.Faults -c Release -v quiet -nologo >&2
exec dotnet tests/faults/Forecast.Faults/bin/Release/net10.0/forecast-faults.dll "$@"
