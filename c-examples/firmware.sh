#!/usr/bin/env bash
# Runs tickguard on emulated microcontrollers and proves no panic path is
# linked into C programs:
#  1. Rust firmware (firmware-rust) on Cortex-M0 (microbit) and Cortex-M4
#     (mps2-an386) under qemu-system-arm, and RV32IMC (virt) under
#     qemu-system-riscv32, a 1 kHz timer interrupt sharing the guards with main;
#  2. C firmware (firmware-c) built with arm-none-eabi-gcc on the tickguard-ffi
#     static library for thumbv7em, under qemu-system-arm;
#  3. the no-panic proof: the C firmware and the hosted C/C++ examples link
#     with --gc-sections against a library whose panic handler calls an
#     undefined symbol, so any surviving panic path fails the link.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$here/build/firmware"
mkdir -p "$out"
qemu=(-nographic -semihosting-config enable=on,target=native)

expect_pass() { # name, log, marker
  if grep -q "$3" "$2"; then
    echo "firmware: $1 ok"
  else
    echo "firmware: $1 FAILED" >&2
    cat "$2" >&2
    exit 1
  fi
}

# 1. Rust firmware.
fw="$here/firmware-rust"
for target in thumbv6m-none-eabi thumbv7em-none-eabihf riscv32imc-unknown-none-elf; do
  features=()
  [[ "$target" != thumbv7em-* ]] && features=(--features no-cas)
  (cd "$fw" && cargo build --quiet --release --target "$target" --bin tickguard-firmware "${features[@]}")
  case "$target" in
    thumbv6m-*) machine=(qemu-system-arm -cpu cortex-m0 -machine microbit) ;;
    thumbv7em-*) machine=(qemu-system-arm -cpu cortex-m4 -machine mps2-an386) ;;
    riscv32*) machine=(qemu-system-riscv32 -machine virt -bios none) ;;
  esac
  log="$out/rust-$target.log"
  timeout 120 "${machine[@]}" "${qemu[@]}" -kernel "$fw/target/$target/release/tickguard-firmware" >"$log" 2>&1 \
    || { echo "firmware: rust $target exited with failure" >&2; cat "$log" >&2; exit 1; }
  expect_pass "rust $target" "$log" "^firmware checks passed"
done

# 2 + 3. The no-panic libraries, then the C firmware linked against one.
check_dir="$root/target/panic-check"
cargo build --quiet --release -p tickguard-ffi --features link-time-panic-check \
  --target thumbv7em-none-eabihf --target-dir "$check_dir" --manifest-path "$root/Cargo.toml"
cargo build --quiet --release -p tickguard-ffi --features link-time-panic-check \
  --target-dir "$check_dir" --manifest-path "$root/Cargo.toml"

cfw="$here/firmware-c"
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
  -std=c11 -Wall -Wextra -Werror -pedantic -O2 -ffreestanding -ffunction-sections -fdata-sections \
  -I "$root/include" -nostdlib -T "$cfw/link.ld" "$cfw/startup.c" "$cfw/main.c" \
  "$check_dir/thumbv7em-none-eabihf/release/libtickguard.a" -lgcc \
  -Wl,--gc-sections -Wl,-z,noexecstack -o "$out/c-firmware.elf"
echo "no-panic: C firmware links with no panic path"
log="$out/c-firmware.log"
timeout 120 qemu-system-arm "${qemu[@]}" -cpu cortex-m4 -machine mps2-an386 -kernel "$out/c-firmware.elf" >"$log" 2>&1 \
  || { echo "firmware: C firmware exited with failure" >&2; cat "$log" >&2; exit 1; }
expect_pass "C thumbv7em (mps2-an386)" "$log" "^C firmware checks passed"

host_lib="$check_dir/release/libtickguard.a"
for src in rate_limit.c abi_test.c; do
  gcc -std=c11 -Wall -Wextra -Werror -pedantic -I "$root/include" "$here/$src" "$host_lib" \
    -Wl,--gc-sections -o "$out/${src%.c}-nopanic"
done
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -I "$root/include" "$here/flaky_backend.cpp" "$host_lib" \
  -Wl,--gc-sections -o "$out/flaky_backend-nopanic"
"$out/abi_test-nopanic" >/dev/null
echo "no-panic: hosted C and C++ programs (every exported function) link with no panic path"
