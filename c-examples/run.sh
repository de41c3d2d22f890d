#!/usr/bin/env bash
# Builds the C and C++ examples against libtickguard.a with strict warnings,
# runs them under AddressSanitizer and UndefinedBehaviorSanitizer, and checks
# their output against c-examples/expected/. `--bless` rewrites the expected
# output; `--demo` just shows what the programs print. Also compiles the C
# header as C++.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$here/build"
mkdir -p "$out"

cargo build --quiet --release -p tickguard-ffi --manifest-path "$root/Cargo.toml"
lib="$root/target/release/libtickguard.a"

cc="${CC:-gcc}"
cxx="${CXX:-g++}"
warn=(-Wall -Wextra -Werror -pedantic)
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
inc=(-I "$root/include")

"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/rate_limit.c" "$lib" -o "$out/rate_limit"
"$cc" -std=c11 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/abi_test.c" "$lib" -o "$out/abi_test"
"$cxx" -std=c++17 "${warn[@]}" "${san[@]}" "${inc[@]}" "$here/flaky_backend.cpp" "$lib" -o "$out/flaky_backend"
# The C header alone compiles as C++ too.
printf '#include "tickguard.h"\nint main() { tg_breaker_t b{}; return sizeof b == 48 ? 0 : 1; }\n' >"$out/header.cpp"
"$cxx" -std=c++11 "${warn[@]}" "${inc[@]}" "$out/header.cpp" -o "$out/header_cpp"
"$out/header_cpp"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [[ "${1:-}" == "--demo" ]]; then
  for program in rate_limit flaky_backend; do
    echo "=== $program"
    "$out/$program"
  done
  exit 0
fi
status=0
for program in rate_limit flaky_backend abi_test; do
  "$out/$program" >"$out/$program.out"
  if [[ "${1:-}" == "--bless" ]]; then
    mkdir -p "$here/expected"
    cp "$out/$program.out" "$here/expected/$program.out"
  elif ! diff -u "$here/expected/$program.out" "$out/$program.out"; then
    echo "c-examples: $program output differs from expected/$program.out" >&2
    status=1
  fi
  [[ "$program" == abi_test ]] && echo "c-examples: abi_test: $(tail -n1 "$out/$program.out")"
  echo "c-examples: $program ok"
done
exit $status
