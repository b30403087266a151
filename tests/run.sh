#!/usr/bin/env bash
# Runs every test of Forecast on a fresh machine: installs the real servers the tests start
# (from Debian's packages) when they are missing, then runs `dotnet test` on the solution.
# Extra arguments go to `dotnet test` (for example: --filter FullyQualifiedName~Grains).
set -euo pipefail
cd "$(dirname "$0")/.."
tests/install.sh

# The test projects run in parallel and their output interleaves, so what failed is repeated at the end, where
# CI's tail of the log shows it. A test that failed is run once more on its own: one that passes then is named
# as flaky (and the run passes); one that fails again fails the run.
log=$(mktemp)
trap 'rm -f "$log" "$log.again"' EXIT
set +e
dotnet test Forecast.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
((status == 0)) && exit 0

echo
echo "tests/run.sh: dotnet test failed (exit $status). What failed:"
grep -E ": error [A-Z]+[0-9]+|Test Run Aborted|test run was aborted|Total tests:|^ +Failed: " "$log" | head -40
awk '/^  Failed [A-Za-z]/ {n = 30} n > 0 {print; n--}' "$log" | cut -c1-400 | head -200

# Test names without their arguments; nothing to run again after a build error or an aborted run.
mapfile -t failed < <(sed -n -E 's/^  Failed ([A-Za-z0-9_.]+).*/\1/p' "$log" | sort -u)
if ((${#failed[@]} == 0 || ${#failed[@]} > 5)) || grep -qE ": error [A-Z]+[0-9]+|Test Run Aborted|test run was aborted" "$log"; then
    exit "$status"
fi

filter=$(printf 'FullyQualifiedName~%s|' "${failed[@]}")
echo
echo "tests/run.sh: running the ${#failed[@]} failed test(s) once more: ${failed[*]}"
set +e
dotnet test Forecast.sln -c Release --no-build --logger "console;verbosity=normal" --filter "${filter%|}" 2>&1 | tee "$log.again"
again=${PIPESTATUS[0]}
set -e
if ((again == 0)); then
    echo "tests/run.sh: FLAKY (failed, then passed on their own): ${failed[*]}"
    exit 0
fi

echo "tests/run.sh: failed again:"
awk '/^  Failed [A-Za-z]/ {n = 30} n > 0 {print; n--}' "$log.again" | cut -c1-400 | head -100
exit "$again"
