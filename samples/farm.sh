#!/usr/bin/env bash
# Two instances of the sample MVC app and one Redis on this machine: a farm without a load balancer (open either
# instance; cookies on 127.0.0.1 are shared by port, so a login begun on one may finish on the other).
#   instance 1: http://127.0.0.1:5081 (runs the embedded development OP: alpha on 5091, beta on 5092)
#   instance 2: http://127.0.0.1:5082 (uses instance 1's OP)
# Redis: Debian's redis-server on a free port, its own temp directory, no persistence, stopped with the script.
# Ctrl-C stops everything. docs/farm.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "farm.sh: redis-server is needed (apt-get install redis-server)" >&2; exit 1; }

work=$(mktemp -d)
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no --daemonize no --loglevel warning &
pids+=($!)

dotnet build samples/MvcApp -c Release -v quiet -nologo >/dev/null
app=samples/MvcApp/bin/Release/net10.0/OidcRp.Samples.MvcApp.dll

# Shared by both instances: Redis, the farm's MAC key and the dev OP's client secret (fresh per run).
export ASPNETCORE_ENVIRONMENT=Development
export Sample__Farm__Redis="127.0.0.1:$redis_port"
export Sample__Farm__SharedKey=$(head -c 32 /dev/urandom | base64)
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

ASPNETCORE_URLS=http://127.0.0.1:5081 Sample__Farm__Instance=one \
  Sample__DevOp__AlphaPort=5091 Sample__DevOp__BetaPort=5092 Sample__DevOp__ClientSecret="$secret" \
  Sample__DevOp__OtherAppBases__0=http://127.0.0.1:5082 \
  Sample__Audit__Store=memory dotnet "$app" &
pids+=($!)
for _ in $(seq 1 120); do curl -fs http://127.0.0.1:5091/.well-known/openid-configuration >/dev/null 2>&1 && break; sleep 0.5; done

provider() { # id port
  echo "OidcRp__Providers__$1__Authority=http://127.0.0.1:$2/ OidcRp__Providers__$1__ClientId=mvcapp-$1" \
       "OidcRp__Providers__$1__ClientSecret=$secret OidcRp__Providers__$1__RequireHttpsMetadata=false" \
       "OidcRp__Providers__$1__Scopes__0=openid OidcRp__Providers__$1__Scopes__1=profile OidcRp__Providers__$1__Scopes__2=roles"
}
env ASPNETCORE_URLS=http://127.0.0.1:5082 Sample__Farm__Instance=two Sample__Audit__Store=memory \
  $(provider alpha 5091) $(provider beta 5092) dotnet "$app" &
pids+=($!)

echo "farm.sh: Redis on 127.0.0.1:$redis_port; instances on http://127.0.0.1:5081 and http://127.0.0.1:5082 (Ctrl-C stops all)"
wait
