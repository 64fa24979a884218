#!/usr/bin/env bash
# The README's test command: installs what the test suites need, then runs every test in the solution.
# Results are written as TRX files under TestResults/ (read by .ci/run for its summary line).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The browser test drives Debian's Chromium through chromedriver (a test tool's own browser download
# does not work offline). Installed here when missing; needs root or sudo.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The integration suite runs panva's oidc-provider on Node (20 or later) from its own lock file.
oidc_provider=tests/Integration/oidc-provider
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "test.sh: Node.js and npm are required for the integration suite (apt-get install nodejs npm)" >&2
    exit 1
fi
lock_sum=$(sha256sum "$oidc_provider/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$oidc_provider/node_modules/.oidcrp-lock-sha256" 2>/dev/null)" != "$lock_sum" ]; then
    (cd "$oidc_provider" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" > "$oidc_provider/node_modules/.oidcrp-lock-sha256"
fi

rm -rf TestResults
# One test project at a time (-m:1): the suites start real servers, and two cores shared by two
# suites at once make start-up timeouts flaky.
dotnet test OidcRp.sln -m:1 --configuration Release --logger "trx" --results-directory TestResults "$@"
