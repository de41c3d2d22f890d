#!/usr/bin/env bash
# Runs tickguard on emulated microcontrollers and proves no panic path is
# linked into C programs:
#  1. Rust firmware (firmware-rust) on Cortex-M0 (microbit) and Cortex-M4
#     (mps2-an386) under qemu-system-arm, and RV32IMC (virt) under
#     qemu-system-riscv32, a 1 kHz timer interrupt sharing the guards with main;
#     the defmt example on Cortex-M4, its log decoded by defmt-print, and the
#     embassy example (an embassy-executor task) on Cortex-M4;
#  2. C firmware (firmware-c) built with arm-none-eabi-gcc on the tickguard-ffi
#     static library for thumbv7em (Cortex-M4) and thumbv6m (Cortex-M0),
#     under qemu-system-arm;
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
fw_target_dir="$("$root/.ci/target-dir" "$fw/Cargo.toml")"
for target in thumbv6m-none-eabi thumbv7em-none-eabihf riscv32imc-unknown-none-elf; do
  (cd "$fw" && cargo build --quiet --release --target "$target" --bin tickguard-firmware)
  case "$target" in
    thumbv6m-*) machine=(qemu-system-arm -cpu cortex-m0 -machine microbit) ;;
    thumbv7em-*) machine=(qemu-system-arm -cpu cortex-m4 -machine mps2-an386) ;;
    riscv32*) machine=(qemu-system-riscv32 -machine virt -bios none) ;;
  esac
  log="$out/rust-$target.log"
  timeout 120 "${machine[@]}" "${qemu[@]}" -kernel "$fw_target_dir/$target/release/tickguard-firmware" >"$log" 2>&1 \
    || { echo "firmware: rust $target exited with failure" >&2; cat "$log" >&2; exit 1; }
  expect_pass "rust $target" "$log" "^firmware checks passed"
done

# 1b. defmt: tickguard's states, decisions and errors logged with defmt
# (tickguard's `defmt` feature) over semihosting, decoded by defmt-print.
(cd "$fw" && cargo build --quiet --release --target thumbv7em-none-eabihf --features defmt-log --bin defmt_log)
elf="$fw_target_dir/thumbv7em-none-eabihf/release/defmt_log"
log="$out/rust-defmt.log"
timeout 120 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 "${qemu[@]}" -kernel "$elf" >"$out/rust-defmt.frames" 2>"$log" \
  || { echo "firmware: defmt example exited with failure" >&2; cat "$log" >&2; exit 1; }
defmt-print -e "$elf" <"$out/rust-defmt.frames" >"$log" 2>&1
for line in "transition: Some(Transition { from: Closed, to: Open })" \
  "Err(Refused { retry_at: Some(Instant(120)), transition: None })" \
  "Err(Wait { retry_at: Instant(10) })" "defmt checks done"; do
  grep -qF "$line" "$log" || { echo "firmware: defmt log lacks: $line" >&2; cat "$log" >&2; exit 1; }
done
echo "firmware: rust defmt (thumbv7em, decoded by defmt-print) ok"

# 1c. embassy: an embassy-executor task guarded by a breaker, embassy-time's
# instants converted by tickguard's `embassy-time` feature.
(cd "$fw" && cargo build --quiet --release --target thumbv7em-none-eabihf --features embassy-demo --bin embassy_demo)
log="$out/rust-embassy.log"
timeout 120 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 "${qemu[@]}" \
  -kernel "$fw_target_dir/thumbv7em-none-eabihf/release/embassy_demo" >"$log" 2>&1 \
  || { echo "firmware: embassy example exited with failure" >&2; cat "$log" >&2; exit 1; }
expect_pass "rust embassy (thumbv7em)" "$log" "^embassy checks passed"

# 2 + 3. The no-panic libraries, then the C firmware linked against them.
# No Cortex-M has a 128-bit CAS: the library masks interrupts around each
# update itself (unsafe-assume-single-core), so C supplies nothing.
check_dir="$("$root/.ci/target-dir")/panic-check"
build_check_lib() { # target (empty for host), extra features; prints the library
  local target_args=()
  [[ -n "$1" ]] && target_args=(--target "$1")
  CARGO_TARGET_DIR="$check_dir" "$root/ffi/c-library.sh" --quiet \
    --features "link-time-panic-check$2" "${target_args[@]}"
}
cfw="$here/firmware-c"
c_firmware() { # name, library, qemu cpu, qemu machine, gcc cpu flags...
  local name="$1" lib="$2" cpu="$3" machine="$4"
  shift 4
  arm-none-eabi-gcc "$@" -mthumb -std=c11 -Wall -Wextra -Werror -pedantic -O2 -ffreestanding \
    -ffunction-sections -fdata-sections -I "$root/include" -nostdlib -T "$cfw/link.ld" \
    "$cfw/startup.c" "$cfw/main.c" "$lib" -lgcc \
    -Wl,--gc-sections -Wl,-z,noexecstack -o "$out/c-firmware-$name.elf"
  echo "no-panic: C firmware ($name) links with no panic path"
  local log="$out/c-firmware-$name.log"
  timeout 120 qemu-system-arm "${qemu[@]}" -cpu "$cpu" -machine "$machine" \
    -kernel "$out/c-firmware-$name.elf" >"$log" 2>&1 \
    || { echo "firmware: C firmware ($name) exited with failure" >&2; cat "$log" >&2; exit 1; }
  expect_pass "C $name ($machine)" "$log" "^C firmware checks passed"
}
m4_lib="$(build_check_lib thumbv7em-none-eabihf ",unsafe-assume-single-core")"
m0_lib="$(build_check_lib thumbv6m-none-eabi ",unsafe-assume-single-core")"
host_lib="$(build_check_lib "" "")"
c_firmware cortex-m4 "$m4_lib" cortex-m4 mps2-an386 \
  -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16
c_firmware cortex-m0 "$m0_lib" cortex-m0 microbit -mcpu=cortex-m0
# The interrupt latency the C library adds (its own masking): the longest
# run of instructions with interrupts masked in any function, at most 150.
for name in cortex-m0 cortex-m4; do
  longest="$(python3 "$here/masked-runs.py" "$out/c-firmware-$name.elf" | head -1)"
  run="${longest##*$'\t'}"
  if [[ "$run" == unbounded ]] || ((run > 150)); then
    echo "firmware: the C library on $name masks interrupts for $run instructions (at most 150): $longest" >&2
    exit 1
  fi
  echo "interrupt latency: C library on $name masks interrupts for at most $run instructions (in ${longest%%$'\t'*})"
done
# The program supplies the critical section (what an RTOS or a multi-core
# chip needs): the library built with `c-critical-section` calls the C
# program's tg_critical_section_enter/exit around every state update.
ccs_lib="$(CARGO_TARGET_DIR="$check_dir/c-critical-section" "$root/ffi/c-library.sh" --quiet \
  --features "link-time-panic-check,c-critical-section" --target thumbv7em-none-eabihf)"
c_firmware cortex-m4-c-critical-section "$ccs_lib" cortex-m4 mps2-an386 \
  -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16 -DTICKGUARD_C_CRITICAL_SECTION

for src in rate_limit.c abi_test.c cache_client.c log_flood.c api_limiter.c; do
  gcc -std=c11 -Wall -Wextra -Werror -pedantic -I "$root/include" "$here/$src" "$host_lib" \
    -Wl,--gc-sections -o "$out/${src%.c}-nopanic"
done
for src in flaky_backend.cpp cpp_wrapper_test.cpp; do
  g++ -std=c++17 -Wall -Wextra -Werror -pedantic -I "$root/include" "$here/$src" "$host_lib" \
    -Wl,--gc-sections -o "$out/${src%.cpp}-nopanic"
done
"$out/abi_test-nopanic" >/dev/null
"$out/cpp_wrapper_test-nopanic" >/dev/null
echo "no-panic: hosted C and C++ programs (every exported function) link with no panic path"
