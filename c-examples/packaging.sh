#!/usr/bin/env bash
# The three ways a C or C++ project builds against tickguard, as its users do:
#  1. install into a temporary prefix (.ci/install), move the prefix (the
#     install is relocatable), build the examples with find_package;
#  2. build them from the checkout with add_subdirectory, and check that a
#     change to a Rust source rebuilds the library;
#  3. build them with pkg-config --cflags --libs tickguard.
# Each build runs both examples and compares their output with expected/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run_examples() { # how, dir holding rate_limit and flaky_backend
  for program in rate_limit flaky_backend; do
    "$2/$program" >"$work/$program.out"
    diff -u "$here/expected/$program.out" "$work/$program.out"
  done
  echo "packaging: $1: examples build and run"
}

PREFIX="$work/staging" "$root/.ci/install" >/dev/null
mv "$work/staging" "$work/prefix"
prefix="$work/prefix"
for file in include/tickguard.h include/tickguard.hpp lib/libtickguard.a lib/pkgconfig/tickguard.pc \
  lib/cmake/tickguard/tickguardConfig.cmake lib/cmake/tickguard/tickguardConfigVersion.cmake; do
  test -f "$prefix/$file" || { echo "packaging: $file not installed" >&2; exit 1; }
done
if ls "$prefix/lib" | grep -q '\.so'; then
  echo "packaging: a shared library was installed" >&2
  exit 1
fi

# 1. find_package on the moved prefix.
cmake -S "$here/cmake" -B "$work/find" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/find" >/dev/null
run_examples "find_package(tickguard CONFIG)" "$work/find"
# A request for an incompatible version is refused.
mkdir -p "$work/too-new-src"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(v LANGUAGES C)\nfind_package(tickguard 0.2 CONFIG REQUIRED)\n' \
  >"$work/too-new-src/CMakeLists.txt"
if cmake -S "$work/too-new-src" -B "$work/too-new" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
  echo "packaging: find_package(tickguard 0.2) accepted version 0.1" >&2
  exit 1
fi

# 2. add_subdirectory from the checkout; a touched Rust source rebuilds.
cmake -S "$here/cmake" -B "$work/source" -DTICKGUARD_FROM_SOURCE=ON >/dev/null
cmake --build "$work/source" >/dev/null
run_examples "add_subdirectory" "$work/source"
lib="$work/source/tickguard/tickguard-c/libtickguard.a"
touch "$work/built"
sleep 1 # mtime resolution of some file systems
touch "$root/core/src/lib.rs"
cmake --build "$work/source" >/dev/null
[[ "$lib" -nt "$work/built" ]] || { echo "packaging: a Rust change did not rebuild the library" >&2; exit 1; }
echo "packaging: add_subdirectory rebuilds the library when a Rust source changes"

# 3. pkg-config.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
read -r -a flags <<<"$(pkg-config --cflags --libs tickguard)"
mkdir -p "$work/pc"
cc -std=c11 -Wall -Wextra -Werror -pedantic "$here/rate_limit.c" "${flags[@]}" -o "$work/pc/rate_limit"
c++ -std=c++17 -Wall -Wextra -Werror -pedantic "$here/flaky_backend.cpp" "${flags[@]}" -o "$work/pc/flaky_backend"
run_examples "pkg-config --cflags --libs tickguard ($(pkg-config --modversion tickguard))" "$work/pc"
