#!/usr/bin/env python3
"""The longest runs of instructions a Cortex-M binary executes with
interrupts masked, from its disassembly.

A masked run starts at `cpsid i` and ends at the instruction that restores
the interrupt mask (`msr PRIMASK, rN` or `cpsie i`). From every `cpsid i`
this walks the code forward, both ways at each conditional branch, and
counts the instructions on the longest path to a restore, the restore
included. A run that loops (reaches an instruction of its own path again), calls a
function, or returns before restoring the mask is reported as unbounded, which fails the check: the
count is then not a bound.

Usage: masked-runs.py ELF [--ignore PREFIX]...
Prints `function<TAB>instructions` for the longest run in each function
that has one (except functions whose name starts with an ignored PREFIX),
longest first; "unbounded" instead of a number where no bound holds.
"""
import re
import subprocess
import sys

INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{4}(?: [0-9a-f]{4})?\s+)?(\S+)\s*(.*)$")
FUNCTION = re.compile(r"^([0-9a-f]+) <(.+)>:$")
UNBOUNDED = float("inf")


def disassemble(elf):
    """{address: (mnemonic, operands, function)} in address order."""
    out = subprocess.run(
        ["arm-none-eabi-objdump", "-d", "-C", "--no-show-raw-insn", elf],
        check=True, capture_output=True, text=True).stdout
    code, function = {}, None
    for line in out.splitlines():
        header = FUNCTION.match(line)
        if header:
            function = header.group(2)
            continue
        insn = INSTRUCTION.match(line)
        if insn and function and not insn.group(2).startswith("."):
            code[int(insn.group(1), 16)] = (insn.group(2), insn.group(3), function)
    return code


def target(operands):
    match = re.match(r"([0-9a-f]+)\b", operands)
    return int(match.group(1), 16) if match else None


def longest(code, addresses, start):
    """Instructions on the longest path from `start` to a restore."""
    following = {a: b for a, b in zip(addresses, addresses[1:])}
    memo, active = {}, set()

    def walk(address):
        if address in memo:
            return memo[address]
        if address in active or address not in code:
            return UNBOUNDED  # a loop, or code we cannot see
        mnemonic, operands, function = code[address]
        if (mnemonic == "msr" and "PRIMASK" in operands) or (
                mnemonic == "cpsie" and operands.startswith("i")):
            return 1
        # Thumb-1 code jumps far within a function with `bl`: that is a
        # branch, not a call.
        jump = target(operands) if mnemonic == "bl" else None
        if jump is not None and code.get(jump, (None, None, None))[2] == function:
            active.add(address)
            result = 1 + walk(jump)
            active.discard(address)
            memo[address] = result
            return result
        if mnemonic.startswith(("bl", "blx", "bx")) or (
                mnemonic == "pop" and "pc" in operands) or (
                mnemonic in ("ldr", "mov") and operands.startswith("pc")):
            return UNBOUNDED  # a call or a return while masked
        active.add(address)
        branch = re.fullmatch(r"b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)?(\.[nw])?",
                              mnemonic)
        successors = []
        if branch:
            successors.append(target(operands))
            if branch.group(1):  # conditional: it may also fall through
                successors.append(following.get(address))
        else:
            successors.append(following.get(address))
        # A branch back into the run is a loop: `active` sees it again.
        result = 1 + max(walk(s) if s is not None else UNBOUNDED for s in successors)
        active.discard(address)
        memo[address] = result
        return result

    return walk(following.get(start)) + 1


def main():
    elf, options = sys.argv[1], sys.argv[2:]
    ignored = tuple(options[i + 1] for i, o in enumerate(options) if o == "--ignore")
    code = disassemble(elf)
    addresses = sorted(code)
    runs = {}
    for address in addresses:
        mnemonic, operands, function = code[address]
        if mnemonic == "cpsid" and operands.startswith("i") and not function.startswith(ignored or ("\0",)):
            runs[function] = max(runs.get(function, 0), longest(code, addresses, address))
    try:
        for function, run in sorted(runs.items(), key=lambda item: -item[1]):
            print(f"{function}\t{'unbounded' if run == UNBOUNDED else int(run)}")
    except BrokenPipeError:  # the caller read the longest and stopped
        sys.stderr.close()


if __name__ == "__main__":
    main()
