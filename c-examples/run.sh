#!/usr/bin/env bash
# Builds the C and C++ examples against libtickguard.a (ffi/c-library.sh)
# with strict warnings, runs them under AddressSanitizer and
# UndefinedBehaviorSanitizer, and checks their output against
# c-examples/expected/. Also: the C++ wrapper test as C++17 and C++20, with
# and without exceptions and RTTI; that a dropped decision does not compile;
# the C header as C++; a program linking tickguard beside a std-based Rust
# static library, in both link orders, with and without LTO; one limit shared
# by several processes.
#
#   run.sh           all of the above
#   run.sh --demo    builds and runs the two demo programs only
#   run.sh --bless   rewrites the expected output
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
mode="${1:-}"
out="$here/build"
mkdir -p "$out"

lib="$("$root/ffi/c-library.sh" --quiet)"
cc="${CC:-cc}"
cxx="${CXX:-c++}"
warn=(-Wall -Wextra -Werror -pedantic)
inc=(-I "$root/include")
san=()
[[ "$mode" == --demo ]] || san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)

"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/rate_limit.c" "$lib" -o "$out/rate_limit"
"$cxx" -std=c++17 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/flaky_backend.cpp" "$lib" -o "$out/flaky_backend"
"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/cache_client.c" "$lib" -o "$out/cache_client"
"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/log_flood.c" "$lib" -o "$out/log_flood"
"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/api_limiter.c" "$lib" -o "$out/api_limiter"
if [[ "$mode" == --demo ]]; then
  for program in rate_limit flaky_backend cache_client log_flood api_limiter; do
    echo "=== $program"
    "$out/$program"
  done
  exit 0
fi

"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/abi_test.c" "$lib" -o "$out/abi_test"
# The C header alone compiles as C++ too.
printf '#include "tickguard.h"\nint main() { tg_breaker_t b{}; return sizeof b == 240 && alignof(tg_breaker_t) == 16 ? 0 : 1; }\n' >"$out/header.cpp"
"$cxx" -std=c++11 "${warn[@]}" "${inc[@]}" "$out/header.cpp" -o "$out/header_cpp"
"$out/header_cpp"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for program in rate_limit flaky_backend cache_client log_flood api_limiter abi_test; do
  "$out/$program" >"$out/$program.out"
  if [[ "$mode" == --bless ]]; then
    mkdir -p "$here/expected"
    cp "$out/$program.out" "$here/expected/$program.out"
  elif ! diff -u "$here/expected/$program.out" "$out/$program.out"; then
    echo "c-examples: $program output differs from expected/$program.out" >&2
    status=1
    continue
  fi
  [[ "$program" == abi_test ]] && echo "c-examples: abi_test: $(tail -n1 "$out/$program.out")"
  echo "c-examples: $program ok"
done

# One limit shared by worker processes that map it at different addresses.
"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/shared_processes.c" "$lib" -o "$out/shared_processes"
echo "c-examples: $("$out/shared_processes" | tail -n1)"

# The C++ wrapper, in every dialect and mode it promises.
for std in c++17 c++20; do
  for mode_flags in "" "-fno-exceptions -fno-rtti"; do
    # shellcheck disable=SC2086
    "$cxx" -std=$std "${warn[@]}" $mode_flags "${san[@]}" "${inc[@]}" \
      "$here/cpp_wrapper_test.cpp" "$lib" -o "$out/cpp_wrapper_test"
    result="$("$out/cpp_wrapper_test")"
    echo "c-examples: cpp_wrapper_test -std=$std ${mode_flags:-(exceptions, RTTI)}: $result"
  done
done
# Dropping a decision is a compile error under -Werror.
for dropped in 'bucket.acquire(1, 0);' 'breaker.acquire(0);' 'breaker.state(0);' 'bucket.init();' 'window.acquire(1, 0);' 'shaper.schedule(1, 0);' 'sliding.acquire(1, 0);' 'pool.enter(0);'; do
  printf '#include "tickguard.hpp"\nvoid f(tickguard::Breaker &breaker, tickguard::Bucket &bucket, tickguard::FixedWindow &window, tickguard::Shaper &shaper, tickguard::SlidingWindow &sliding, tickguard::Bulkhead &pool) { (void)breaker; (void)bucket; (void)window; (void)shaper; (void)sliding; (void)pool; %s }\n' \
    "$dropped" >"$out/nodiscard.cpp"
  if "$cxx" -std=c++17 "${warn[@]}" "${inc[@]}" -c "$out/nodiscard.cpp" -o "$out/nodiscard.o" 2>/dev/null; then
    echo "c-examples: '$dropped' compiled, but its result must not be dropped" >&2
    status=1
  fi
done
echo "c-examples: dropped decisions do not compile"

# Beside another Rust static library built with std, in either link order.
neighbour="$here/std-neighbour"
neighbour_target="$(dirname "$(dirname "$lib")")/std-neighbour"
for lto in false true; do
  CARGO_PROFILE_RELEASE_LTO=$lto cargo build --quiet --release --manifest-path "$neighbour/Cargo.toml" \
    --target-dir "$neighbour_target/lto-$lto"
  other="$neighbour_target/lto-$lto/release/libstd_neighbour.a"
  "$cc" -std=c11 "${warn[@]}" "${inc[@]}" "$here/std_neighbour.c" "$lib" "$other" \
    -lpthread -ldl -lm -o "$out/std_neighbour_a"
  "$cc" -std=c11 "${warn[@]}" "${inc[@]}" "$here/std_neighbour.c" "$other" "$lib" \
    -lpthread -ldl -lm -o "$out/std_neighbour_b"
  "$out/std_neighbour_a" >/dev/null
  "$out/std_neighbour_b"
done
echo "c-examples: links beside a std-based Rust static library (both orders, with and without LTO)"
exit $status
