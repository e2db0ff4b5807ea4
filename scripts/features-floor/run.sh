#!/bin/bash
# What Code Pay's features cost in the lean floor's design: an EXPERIMENT (server.mjs says what it is).
# Usage: scripts/features-floor/run.sh [--features I,A,V,H,M] [--registers 32] [--seconds 10] [--no-wait]
#   Runs server.mjs (Code Pay's schema and statements, plus the named features) driven by the lean floor's own
#   client (../shared/floor/lean_client.mjs), and prints that client's JSON line with "features" added.
#   --no-wait: the floor's batching (a transaction every turn) instead of Code Pay's (a batch waits for the sync).
#   Run it in the same minutes as ../shared/floor/run.sh and `npm run bench` (docs/performance.md).
set -u
features=""; regs=32; secs=10; wait=1
while [ $# -gt 0 ]; do
  case "$1" in
    --features) features=$2; shift 2 ;;
    --registers) regs=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --no-wait) wait=0; shift ;;
    --help|-h) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown flag: $1 (see --help)" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
client="$root/../shared/floor/lean_client.mjs"
[ -f "$client" ] || { echo "the lean floor's client is not beside the project: $client" >&2; exit 2; }
[ -f "$root/sync-server/dist/cli.js" ] || { echo "build first: npm run build" >&2; exit 2; }
work=$(mktemp -d); trap 'kill $sp 2>/dev/null; sleep 1; rm -rf "$work"' EXIT
cp "$client" "$(dirname "$client")/common.mjs" "$work/"; ln -s "$root/node_modules" "$work/node_modules"
node "$root/sync-server/dist/cli.js" admin demo-seed --data-dir "$work/data" >/dev/null
port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
mp=$(port); hp=$(port)
FEAT="$features" WAIT=$wait node ${FEATURES_FLOOR_NODE_ARGS:-} "$here/server.mjs" "$mp" "$hp" "$work/data/codepay.sqlite" >"$work/server.log" 2>&1 & sp=$!
for _ in $(seq 100); do grep -q ready "$work/server.log" && break; sleep 0.1; done
grep -q ready "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
out=$(timeout $((secs + 30)) node "$work/lean_client.mjs" "$mp" "$hp" "$sp" "$regs" "$secs" 2>&1)
case "$out" in
  *lean_payment*) echo "$out" | grep lean_payment | sed "s/^{/{\"features\":\"schema${features:+,$features}\",\"waits_for_sync\":$([ $wait = 1 ] && echo true || echo false),/" ;;
  *) echo "$out" >&2; tail -20 "$work/server.log" >&2; exit 1 ;;
esac
