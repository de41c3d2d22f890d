#!/usr/bin/env bash
# Builds the C library, libtickguard.a, and prints its path.
#
#   ffi/c-library.sh [--target TRIPLE] [--features LIST] [--out DIR] [--quiet]
#
# cargo builds the `tickguard-ffi` staticlib (libtickguard_ffi.a, release
# profile: panic = abort, LTO). For hosted ELF targets (Linux and the BSDs)
# this script then makes it link beside any other Rust static library: it
# links the objects the exported `tg_*` functions need into one relocatable
# object and makes every other global symbol local (Rust's panic handler,
# `core`, compiler builtins), so two Rust libraries in one C program never
# define the same symbol twice. For bare-metal targets it copies the archive.
#
# DIR defaults to <cargo target dir>/tickguard-c/<TRIPLE or host>.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd -P)"
root="$(dirname "$here")"
target="" features="" out="" quiet=()
while (($#)); do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --features) features="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --quiet) quiet=(--quiet); shift ;;
    *) echo "c-library.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

target_dir="$("$root/.ci/target-dir")"
# `cargo rustc --crate-type staticlib`: with the rlib crate type beside it,
# cargo would build without LTO.
args=(rustc "${quiet[@]}" --release -p tickguard-ffi --crate-type staticlib --manifest-path "$root/Cargo.toml")
[[ -n "$target" ]] && args+=(--target "$target")
[[ -n "$features" ]] && args+=(--features "$features")
cargo "${args[@]}" >&2
if [[ -n "$target" ]]; then
  raw="$target_dir/$target/release/libtickguard_ffi.a"
else
  raw="$target_dir/release/libtickguard_ffi.a"
fi
out="${out:-$target_dir/tickguard-c/${target:-host}}"
mkdir -p "$out"
lib="$out/libtickguard.a"

case "${target:-host}" in
  host | *-linux-* | *-freebsd* | *-netbsd* | *-openbsd*)
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # The exported functions are the ones the header declares, but for the
    # two a program defines itself (`c-critical-section`).
    exports=()
    while read -r name; do exports+=(-u "$name"); done < <(
      grep -oE '\btg_[a-z0-9_]+\(' "$root/include/tickguard.h" | tr -d '(' |
        grep -vE '^tg_critical_section_(enter|exit)$' | sort -u)
    ld -r -o "$work/tickguard.o" "${exports[@]}" "$raw"
    # Every strong global but the tg_* functions becomes local; weak symbols
    # (COMDAT unwind references) stay weak, which never clash.
    readelf -sW "$work/tickguard.o" |
      awk '$5 == "GLOBAL" && $7 != "UND" && $8 !~ /^tg_/ { print $8 }' | sort -u >"$work/local.txt"
    objcopy --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd \
      --localize-symbols="$work/local.txt" "$work/tickguard.o"
    rm -f "$lib.tmp"
    ar rcs "$lib.tmp" "$work/tickguard.o"
    mv "$lib.tmp" "$lib"
    ;;
  *) cp "$raw" "$lib" ;;
esac
echo "$lib"
