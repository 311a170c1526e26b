#!/usr/bin/env bash
# A checkout of another commit to measure against, in runs alternated with this one's:
#
#   bench/worktree.sh <commit> [dir]          (default dir: /tmp/shop-base)
#   (cd /tmp/shop-base && npm run bench:orders -- --start --duration 20 --concurrency 16)
#
# It shares this checkout's installed packages, generated gRPC code and storefront build, but gets node_modules of
# its own whose workspace links (@shop/*) point at its own packages: a link to this checkout's node_modules would
# make its services import this checkout's shared packages (service-defaults, domain) instead of the commit's.
# Remove it with `git worktree remove --force <dir>`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:?usage: bench/worktree.sh <commit> [dir]}
dir=${2:-/tmp/shop-base}
git -C "$here" worktree add --force --detach "$dir" "$commit" >/dev/null
mkdir -p "$dir/node_modules/@shop"
for entry in "$here"/node_modules/* "$here"/node_modules/.bin; do
  name=$(basename "$entry")
  [ "$name" = "@shop" ] || ln -sfn "$entry" "$dir/node_modules/$name"
done
for link in "$here"/node_modules/@shop/*; do
  ln -sfn "$(readlink "$link")" "$dir/node_modules/@shop/$(basename "$link")"
done
ln -sfn "$here/proto/gen" "$dir/proto/gen"
ln -sfn "$here/packages/storefront/dist" "$dir/packages/storefront/dist"
resolved=$(cd "$dir" && node_modules/.bin/node --input-type=module \
  -e "console.log(import.meta.resolve('@shop/service-defaults/events/EventBus'))")
case "$resolved" in
  "file://$dir/"*) echo "$dir: $(git -C "$dir" log --oneline -1)" ;;
  *) echo "the worktree resolves @shop/* to $resolved, not to itself" >&2; exit 1 ;;
esac
