#!/usr/bin/env bash
# The C remote cell over hiredis against the redis-server that
# .ci/with-redis started (TICKGUARD_REDIS_PORT): builds redis_cell.c under
# AddressSanitizer and UndefinedBehaviorSanitizer and checks its output
# against expected/redis_cell.out; then the Rust demo's two processes.
#
#   .ci/with-redis bash c-examples/redis.sh [--bless]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
port="${TICKGUARD_REDIS_PORT:?run under .ci/with-redis}"
out="$here/build"
mkdir -p "$out"
lib="$("$root/ffi/c-library.sh" --quiet)"
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer -g -I "$root/include" "$here/redis_cell.c" "$lib" -lhiredis -o "$out/redis_cell"
"$out/redis_cell" 127.0.0.1 "$port" >"$out/redis_cell.out"
if [[ "${1:-}" == --bless ]]; then
  cp "$out/redis_cell.out" "$here/expected/redis_cell.out"
fi
diff -u "$here/expected/redis_cell.out" "$out/redis_cell.out"
echo "c-examples: redis_cell (two processes share a bucket and a breaker through hiredis) matches its expected output"
# A Rust process reads the keys the C program wrote (one value format).
shared="$(cargo run --quiet --release -p tickguard-redis --bin tickguard-redis-demo -- c-keys "redis://127.0.0.1:$port/")"
echo "$shared"
grep -Eq "^Rust reads the C program's keys: the bucket holds [0-5] of 5 tokens, the breaker is Closed$" <<<"$shared"
cargo run --quiet --release -p tickguard-redis --bin tickguard-redis-demo -- "redis://127.0.0.1:$port/"
