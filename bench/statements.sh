#!/usr/bin/env bash
# PostgreSQL statements per confirmed order, per database: a figure a shared, noisy machine cannot blur.
#
#   bench/statements.sh [orders]        (default 20)
#   bench/statements.sh --concurrency N  (the orders of 10 s of bench:orders with N in flight instead)
#
# Needs the PostgreSQL server of POSTGRES_URL (default postgres://postgres@127.0.0.1:5432) on this machine, with
# its log readable at PG_LOG (default: Debian's /var/log/postgresql/postgresql-<version>-main.log). Creates the
# platform's databases with the suffix _stmt and `log_statement = 'all'` on them only, starts the distributed
# platform on PORT_OFFSET 5000 (Redis at REDIS_URL, default redis://127.0.0.1:6379), counts the statements each
# database runs while idle (10 s) and while N orders are placed one at a time (0.3 s apart, nothing read back), and
# prints per order the difference with the idle rate taken off. Checks that every order was confirmed; drops its
# databases at the end. Under load (`--concurrency`), what one order costs changes: the relays' and consumers'
# batches grow, and wake-ups that find nothing show up.
set -euo pipefail
cd "$(dirname "$0")/.."
concurrency=
if [ "${1:-}" = "--concurrency" ]; then concurrency=${2:?--concurrency needs a number}; orders=0; else orders=${1:-20}; fi
suffix=_stmt
export POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432} REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export DATABASE_NAME_SUFFIX=$suffix REDIS_KEY_PREFIX=stmt: PORT_OFFSET=5000 LOG_FORMAT=json
# The limits bench:orders raises when it starts the platform itself (bench/lib/launch.ts).
export RATE_LIMIT_ORDER_WRITE=100000000/1m RATE_LIMIT_ORDER_READ=100000000/1m
log=${PG_LOG:-$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | sort -V | tail -1)}
[ -r "$log" ] || { echo "PostgreSQL's log is not readable (set PG_LOG)" >&2; exit 1; }
node=node_modules/.bin/node
databases=(order product payment events notification)
psql_() { PGOPTIONS="--client-min-messages=warning" psql "$POSTGRES_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "$1"; }
drop_all() { for db in "${databases[@]}"; do psql_ "DROP DATABASE IF EXISTS shop_${db}${suffix} WITH (FORCE)"; done; }
drop_all
for db in "${databases[@]}"; do
  psql_ "CREATE DATABASE shop_${db}${suffix}"
  psql_ "ALTER DATABASE shop_${db}${suffix} SET log_statement = 'all'"
done
platform_log=$(mktemp /tmp/shop-statements-XXXX.log)
setsid $node scripts/start.ts >"$platform_log" 2>&1 &
launcher=$!
stop() { kill -TERM "$launcher" 2>/dev/null || true; wait "$launcher" 2>/dev/null || true; drop_all; }
trap stop EXIT
for _ in $(seq 1 60); do grep -q healthy "$platform_log" && break; sleep 1; done
grep -q healthy "$platform_log" || { echo "the platform did not become healthy; see $platform_log" >&2; exit 1; }

gateway=http://127.0.0.1:13080
token=$($node scripts/token.ts --sub statements --role admin --role customer | tail -1)
auth=(-H "authorization: Bearer $token" -H "content-type: application/json")
product=$(curl -sf "${auth[@]}" -X POST "$gateway/api/v1/products" \
  -d "{\"name\":\"Statement Lamp\",\"price\":9.99,\"sku\":\"STMT-$RANDOM$RANDOM\",\"inventory\":100000,\"category\":\"Bench\"}" |
  $node -e 'process.stdin.on("data", (d) => console.log(JSON.parse(d).id))')
sleep 5

count() { tail -n +"$1" "$log" | grep -E "LOG:  (execute|statement)" | grep -oE "@shop_[a-z]+${suffix}" | sort | uniq -c; }
start=$(wc -l <"$log"); t0=$(date +%s.%N); sleep 10; t1=$(date +%s.%N); idle=$(count "$start")
start=$(wc -l <"$log"); t2=$(date +%s.%N)
ids=()
if [ -n "$concurrency" ]; then
  load=$($node bench/orders.ts --url "$gateway" --duration 10 --concurrency "$concurrency")
  echo "$load" | grep -E "^(end to end|result)"
  orders=$(echo "$load" | sed -nE 's/^end to end: .*\(([0-9]+) of ([0-9]+) accepted orders.*/\1/p')
fi
for i in $(seq 1 "$orders"); do
  [ -n "$concurrency" ] && break
  ids+=("$(curl -sf "${auth[@]}" -X POST "$gateway/api/v1/orders" -d "{\"items\":[{\"product_id\":\"$product\",\"quantity\":1}],
    \"shipping_address\":{\"street\":\"1 Main St\",\"city\":\"Springfield\",\"state\":\"IL\",\"zip\":\"62701\"},
    \"payment_method\":\"pm_card_visa\",\"idempotency_key\":\"statements-$i\",\"email\":\"statements@example.com\"}" |
    $node -e 'process.stdin.on("data", (d) => console.log(JSON.parse(d).order_id))')")
  sleep 0.3
done
sleep 4
t3=$(date +%s.%N); busy=$(count "$start")
confirmed=0
[ -n "$concurrency" ] && confirmed=$orders # bench:orders fails unless every order it placed was confirmed
for id in "${ids[@]}"; do
  curl -sf "${auth[@]}" "$gateway/api/v1/orders/$id" | grep -q '"status":"confirmed"' && confirmed=$((confirmed + 1))
done
CONCURRENCY=$concurrency $node - "$idle" "$busy" "$t0" "$t1" "$t2" "$t3" "$orders" "$confirmed" <<'JS'
const [idle, busy, t0, t1, t2, t3, orders, confirmed] = process.argv.slice(2)
const read = (text) => new Map(text.trim().split("\n").filter(Boolean).map((line) => {
  const [n, db] = line.trim().split(/\s+/)
  return [db.slice(1), Number(n)]
}))
const idleOf = read(idle), busyOf = read(busy)
const idleSeconds = t1 - t0, busySeconds = t3 - t2
let total = 0
const how = process.env.CONCURRENCY ? `with ${process.env.CONCURRENCY} in flight` : "one at a time"
console.log(`statements per order (${orders} orders ${how} over ${busySeconds.toFixed(1)} s, idle rate off)`)
for (const [db, n] of [...busyOf].sort()) {
  const rate = (idleOf.get(db) ?? 0) / idleSeconds
  const perOrder = (n - rate * busySeconds) / orders
  total += perOrder
  console.log(`${db.padEnd(28)} ${perOrder.toFixed(1).padStart(6)}   (idle: ${rate.toFixed(1)} per second)`)
}
console.log(`${"total".padEnd(28)} ${total.toFixed(1).padStart(6)}`)
console.log(`confirmed ${confirmed} of ${orders}`)
if (Number(confirmed) !== Number(orders)) process.exit(1)
JS
