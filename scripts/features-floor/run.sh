#!/bin/bash
# What Code Pay's features cost in the lean floor's design: an EXPERIMENT (server.mjs says what it is).
# Usage: scripts/features-floor/run.sh [--features I,A,V,H,M] [--registers 32] [--seconds 10] [--no-wait]
#                                      [--rate-per-s N] [--lean-floor]
#   Runs server.mjs (Code Pay's schema and statements, plus the named features) driven by the lean floor's own
#   client (../shared/floor/lean_client.mjs), and prints that client's JSON line with "features" added.
#   --no-wait: the floor's batching (a transaction every turn) instead of Code Pay's (a batch waits for the sync).
#   --rate-per-s N: drive it at N payments/s (rate_client.mjs) instead of flat out, for approve -> result at a rate.
#   --lean-floor: run the lean floor's own server (../shared/floor/lean_server.mjs) instead of server.mjs.
#   Run it in the same minutes as ../shared/floor/run.sh and `npm run bench` (docs/performance.md).
set -u
features=""; regs=32; secs=10; wait=1; rate=""; lean=0
while [ $# -gt 0 ]; do
  case "$1" in
    --features) features=$2; shift 2 ;;
    --registers) regs=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --no-wait) wait=0; shift ;;
    --rate-per-s) rate=$2; shift 2 ;;
    --lean-floor) lean=1; shift ;;
    --help|-h) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown flag: $1 (see --help)" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
floor="$root/../shared/floor"
if [ -z "$rate" ]; then [ -f "$floor/lean_client.mjs" ] || { echo "the lean floor's client is not beside the project: $floor/lean_client.mjs" >&2; exit 2; }; fi
if [ $lean = 1 ]; then [ -f "$floor/lean_server.mjs" ] || { echo "the lean floor's server is not beside the project: $floor/lean_server.mjs" >&2; exit 2; }; fi
[[ -z "$rate" || "$rate" =~ ^[1-9][0-9]*$ ]] || { echo "--rate-per-s takes a whole number of payments per second: $rate" >&2; exit 2; }
[ -f "$root/sync-server/dist/cli.js" ] || { echo "build first: npm run build" >&2; exit 2; }
work=$(mktemp -d); trap 'kill $sp 2>/dev/null; sleep 1; rm -rf "$work"' EXIT
cp "$here/rate_client.mjs" "$work/"
for f in lean_client.mjs common.mjs lean_server.mjs; do [ ! -f "$floor/$f" ] || cp "$floor/$f" "$work/"; done
ln -s "$root/node_modules" "$work/node_modules"
[ $lean = 1 ] || node "$root/sync-server/dist/cli.js" admin demo-seed --data-dir "$work/data" >/dev/null
port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
mp=$(port); hp=$(port)
if [ $lean = 1 ]; then
  label="lean floor"
  LEAN_DB_DIR="$work/db" node ${FEATURES_FLOOR_NODE_ARGS:-} "$work/lean_server.mjs" "$mp" "$hp" >"$work/server.log" 2>&1 & sp=$!
else
  label="schema${features:+,$features}"
  FEAT="$features" WAIT=$wait node ${FEATURES_FLOOR_NODE_ARGS:-} "$here/server.mjs" "$mp" "$hp" "$work/data/codepay.sqlite" >"$work/server.log" 2>&1 & sp=$!
fi
for _ in $(seq 100); do grep -q ready "$work/server.log" && break; sleep 0.1; done
grep -q ready "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
if [ -n "$rate" ]; then
  out=$(timeout $((secs + 30)) node "$work/rate_client.mjs" "$mp" "$hp" "$sp" "$regs" "$secs" "$rate" 2>&1)
else
  out=$(timeout $((secs + 30)) node "$work/lean_client.mjs" "$mp" "$hp" "$sp" "$regs" "$secs" 2>&1)
fi
case "$out" in
  *'"op":'*) echo "$out" | grep '"op":' | sed "s/^{/{\"features\":\"$label\",\"waits_for_sync\":$([ $wait = 1 ] && [ $lean = 0 ] && echo true || echo false),/" ;;
  *) echo "$out" >&2; tail -20 "$work/server.log" >&2; exit 1 ;;
esac
