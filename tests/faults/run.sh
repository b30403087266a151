#!/usr/bin/env bash
# The fault suite: faults injected into real servers and silo processes under load, with a JSON report of
# readings produced, durable and lost, recovery times and peak memory, and a PNG of memory and lag over time
# beside it. Installs what it needs first, like tests/run.sh. Options: tests/faults/run.sh --help. About 10
# minutes with its defaults; a soak: tests/faults/run.sh --scenarios kill --duration 30m --kill-every 3m --rate 1500
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/install.sh
# The plot is drawn by Debian's Python with matplotlib.
if ! /usr/bin/python3 -c "import matplotlib" >/dev/null 2>&1; then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get install -y -qq --no-install-recommends python3-matplotlib >/dev/null
fi
dotnet build tests/faults/Forecast.Faults -c Release -v quiet -nologo >&2
# The silos run as the image ships them (deploy/Dockerfile): published ReadyToRun, which starts them about 0.3 s
# sooner after a kill than the plain build. About a minute the first time.
silo=tests/faults/Forecast.Faults/bin/silo
dotnet publish src/Forecast.Host -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
    -o "$silo" -v quiet -nologo >&2
export FORECAST_DLL=$PWD/$silo/forecast.dll

report=faults-report.json
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [[ ${args[i]} == --report && $((i + 1)) -lt ${#args[@]} ]] && report=${args[i + 1]}
done
status=0
dotnet tests/faults/Forecast.Faults/bin/Release/net10.0/forecast-faults.dll "$@" || status=$?
[[ -f $report ]] && tests/faults/plot.py "$report" || true
exit "$status"
