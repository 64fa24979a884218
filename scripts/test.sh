#!/usr/bin/env bash
# The README's test command: installs what the test suites need, then runs every test in the solution.
# Results are written as TRX files under TestResults/ (read by .ci/run for its summary line).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Prerequisites beyond the .NET SDK are installed here as the suites that need them arrive
# (Debian packages with apt-get, npm packages with npm ci); the unit suite needs none.

rm -rf TestResults
dotnet test OidcRp.sln --configuration Release --logger "trx" --results-directory TestResults "$@"
