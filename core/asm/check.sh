#!/usr/bin/env bash
# The x86_64 128-bit atomics are inline assembly (core/src/cell/x86_64.rs).
# This compares the assembly the compiler makes of each operation (load,
# store, compare-and-swap: the `tickguard_probe_*` functions built with
# `--cfg tickguard_asm_probe`) with the copies saved beside this script, in
# every build configuration the cell supports, so that a change of register
# allocation or of mechanism (an operation reaching `portable-atomic`'s
# lock while another uses the instruction) cannot pass unseen.
#
#   core/asm/check.sh           compare (fails on any difference)
#   core/asm/check.sh --bless   rewrite the saved copies
#
# Hashes in symbol names and label numbers are normalised away; directives
# and blank lines are dropped. x86_64 hosts only (elsewhere it says so and
# passes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mode="${1:-}"
if [[ "$(uname -m)" != x86_64 ]]; then
  echo "asm: not an x86_64 host, nothing to compare"
  exit 0
fi
target_dir="$("$root/.ci/target-dir")/asm"

# name, then RUSTFLAGS for that configuration.
configs=(
  "default|"
  "no-outline-atomics|--cfg portable_atomic_no_outline_atomics"
  "cmpxchg16b|-C target-feature=+cmpxchg16b"
  "x86-64-v3|-C target-cpu=x86-64-v3"
)

status=0
for config in "${configs[@]}"; do
  name="${config%%|*}"
  flags="${config#*|}"
  out="$target_dir/$name"
  # Cargo emits the assembly only when it compiles the crate: clean it first.
  cargo clean --quiet --release -p tickguard --manifest-path "$root/Cargo.toml" --target-dir "$out"
  RUSTFLAGS="--cfg tickguard_asm_probe $flags" cargo rustc --quiet --release -p tickguard --lib \
    --manifest-path "$root/Cargo.toml" --target-dir "$out" -- --emit asm
  asm="$(ls "$out"/release/deps/tickguard-*.s)"
  python3 - "$asm" >"$out/probes.s" <<'PY'
import re, sys
text = open(sys.argv[1]).read().splitlines()
keep, inside = [], False
for line in text:
    if re.match(r"^tickguard_probe_\w+:$", line):
        inside = True
        keep.append(line)
        continue
    if inside and line.startswith(".Lfunc_end"):
        inside = False
        keep.append("")
        continue
    if not inside:
        continue
    stripped = line.strip()
    if not stripped or stripped.startswith((".cfi", ".p2align", "#APP", "#NO_APP")):
        continue
    stripped = re.sub(r"17h[0-9a-f]{16}E", "17hE", stripped)
    stripped = re.sub(r"\.LBB\d+_(\d+)", r".LBB_\1", stripped)
    keep.append(re.sub(r"\s+", " ", stripped))
if sum(1 for l in keep if l.startswith("tickguard_probe_")) != 3:
    sys.exit("asm: the three probes were not found in " + sys.argv[1])
print("\n".join(keep))
PY
  # Where the build requires cmpxchg16b, no operation may reach
  # portable-atomic at all: every one is the instruction.
  if [[ "$name" == cmpxchg16b || "$name" == x86-64-v3 ]] && grep -q portable_atomic "$out/probes.s"; then
    echo "asm: $name: an operation reaches portable-atomic although the CPU has cmpxchg16b" >&2
    status=1
  fi
  saved="$here/x86_64-$name.s"
  if [[ "$mode" == --bless ]]; then
    cp "$out/probes.s" "$saved"
    echo "asm: $name saved"
  elif diff -u "$saved" "$out/probes.s"; then
    echo "asm: $name matches core/asm/x86_64-$name.s"
  else
    echo "asm: $name differs from core/asm/x86_64-$name.s (check the mechanism, then --bless)" >&2
    status=1
  fi
done
exit "$status"
