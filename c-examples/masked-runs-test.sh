#!/usr/bin/env bash
# Tests c-examples/masked-runs.py on small hand-written Thumb functions whose
# longest masked runs are known: a straight run, the longer side of a
# branch, a loop, a call, a return while masked, Thumb-1's far jump within a
# function (`bl` to its own code), and the longest of two runs in one
# function. Needs arm-none-eabi-as and -ld (binutils-arm-none-eabi).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/runs.s" <<'ASM'
    .syntax unified
    .cpu cortex-m0
    .thumb
    .text
    .macro function name
    .global \name
    .thumb_func
\name:
    .endm

    function straight        @ cpsid, 2 moves, msr: 4
    cpsid i
    movs r0, #1
    movs r1, #2
    msr PRIMASK, r2
    bx lr

    function branches        @ cpsid, cmp, beq, 3 moves, move, cpsie: 8
    cpsid i
    cmp r0, #0
    beq 1f
    movs r1, #1
    movs r1, #2
    movs r1, #3
1:  movs r2, #4
    cpsie i
    bx lr

    function loops           @ back to its own cmp: unbounded
    cpsid i
1:  subs r0, r0, #1
    cmp r0, #0
    bne 1b
    cpsie i
    bx lr

    function calls           @ a call while masked: unbounded
    cpsid i
    bl straight
    cpsie i
    bx lr

    function returns         @ returns with interrupts masked: unbounded
    cpsid i
    movs r0, #1
    bx lr

    function far_jump        @ cpsid, bl (a jump), move, msr: 4
    cpsid i
    bl 2f
    movs r0, #9
    movs r0, #9
2:  movs r1, #1
    msr PRIMASK, r2
    bx lr

    function leaves_and_loops @ restores, then branches back: 3, not a loop
1:  cpsid i
    movs r0, #1
    msr PRIMASK, r2
    cmp r0, #0
    bne 1b
    bx lr

    function two_runs        @ the longer of 3 and 5
    cpsid i
    movs r0, #1
    cpsie i
    cpsid i
    movs r0, #1
    movs r0, #2
    movs r0, #3
    cpsie i
    bx lr
ASM
arm-none-eabi-as -o "$work/runs.o" "$work/runs.s"
arm-none-eabi-ld -Ttext=0x1000 -e straight -o "$work/runs.elf" "$work/runs.o"

expected="branches	8
calls	unbounded
far_jump	4
leaves_and_loops	3
loops	unbounded
returns	unbounded
straight	4
two_runs	5"
got="$(python3 "$here/masked-runs.py" "$work/runs.elf" | LC_ALL=C sort)"
if [[ "$got" != "$expected" ]]; then
  echo "masked-runs.py: expected" >&2
  echo "$expected" >&2
  echo "got" >&2
  echo "$got" >&2
  exit 1
fi
echo "masked-runs.py: every hand-written run measured as expected"
