#!/usr/bin/env bash
# The README's test command: installs what the test suites need, then runs every test in the solution.
# Results are written as TRX files under TestResults/ (read by .ci/run for its summary line).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests need, installed when missing (needs root or sudo):
# - chromium and chromium-driver: the browser test (a test tool's own browser download fails offline);
# - postgresql: the audit store tests start their own server from its binaries;
# - redis-server: the farm tests start their own server (temp directory, free port, no persistence);
# - lemonldap-ng, lemonldap-ng-fastcgi-server and nginx: the integration suite's LemonLDAP::NG OP, started
#   by its fixture from a private configuration in a temp directory (no systemd, nothing in /etc used).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x /usr/share/lemonldap-ng/bin/rotateOidcKeys ] || missing+=(lemonldap-ng)
[ -x /usr/sbin/llng-fastcgi-server ] || missing+=(lemonldap-ng-fastcgi-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
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
mkdir -p TestResults
# Randomised tests append their seed and input hash here (a fixed seed when CI=true; OIDCRP_FUZZ_SEED replays a run).
export OIDCRP_FUZZ_LOG="$PWD/TestResults/fuzz-runs.txt"
# Each OP-matrix scenario that ran to its end appends "op<TAB>scenario" here (.ci/run prints the count per OP).
export OIDCRP_OP_MATRIX_LOG="$PWD/TestResults/op-matrix-runs.txt"
export OIDCRP_OP_STEPS_LOG="$PWD/TestResults/op-matrix-steps-not-expressed.txt"
# Everything builds (the samples and benchmarks too, which dotnet test alone would skip), then the tests run.
dotnet build OidcRp.sln --configuration Release
# The packed-package test (tests/Integration/Package) installs these in a fresh app: both packages, packed from the build
# above (never rebuilt while tests run) with a version no cache has seen.
export OIDCRP_PACKAGE_VERSION="0.0.0-ci.$(date -u +%Y%m%d%H%M%S)" OIDCRP_PACKAGE_SOURCE="$PWD/TestResults/packages"
for package in OidcRp OidcRp.StackExchangeRedis; do
    dotnet pack "src/$package/$package.csproj" --no-build --configuration Release --output "$OIDCRP_PACKAGE_SOURCE" \
        -p:Version="$OIDCRP_PACKAGE_VERSION" -nodeReuse:false
done
status=0
dotnet test OidcRp.sln --no-build -m:1 --configuration Release --logger "trx" --results-directory TestResults "$@" || status=$?

# Benchmarks are not tests: here they only have to build (above) and finish a one-iteration smoke run of
# every benchmark (validation, callback, herd, flood, scale, audit), in one process, in well under a minute.
if ! dotnet run --no-build --configuration Release --project benchmarks/OidcRp.Benchmarks -- all --smoke > TestResults/benchmark-smoke.txt 2>&1; then
    echo "test.sh: the benchmark smoke run failed (TestResults/benchmark-smoke.txt):" >&2
    tail -n 20 TestResults/benchmark-smoke.txt >&2
    status=1
fi
exit $status
