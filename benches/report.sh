#!/usr/bin/env bash
# Runs the benchmarks and prints the performance section of docs/performance.md: the machine,
# tickguard beside its peers (single-threaded and two threads), the goals as
# ratios measured in this one run, and the cost of the move to 64-bit time
# (the last 32-bit revision's benchmarks, built from git history and run in
# the same session).
#
# The suite runs PASSES times (default 3), the old revision's pass right
# after each of this revision's, and every figure is the median over the
# passes of criterion's median; a goal is the median of its ratios within
# each pass. A noisy minute on a shared machine then moves no figure alone,
# and no ratio compares a quiet pass with a noisy one.
#
#   benches/report.sh                    print the section
#   benches/report.sh --update-readme    also replace it in docs/performance.md
#                                        and README's summary of it
#   BEFORE=<rev> benches/report.sh       compare against another revision
#   PASSES=1 benches/report.sh           one pass (quicker, noisier)
#   benches/report.sh --check            reprint from benches/report-data (the
#                                        committed passes) and fail unless the
#                                        docs hold exactly that (no measuring)
#   REUSE=1 benches/report.sh            the same section from the last run's
#                                        saved passes, without measuring
#
# Shared machines are noisy: compare ratios, not absolute numbers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target_dir="$("$root/.ci/target-dir")"
before="${BEFORE:-231bc9c}" # the last revision with 32-bit ticks
passes="${PASSES:-3}"
[[ "$passes" =~ ^[1-9][0-9]*$ ]] || { echo "PASSES must be a positive integer" >&2; exit 2; }
criterion="$target_dir/criterion"
results="$target_dir/bench-report"
# The passes behind the committed report (docs/performance.md and README's
# summary): --update-readme copies the passes it printed here, and
# `--check` (the test command) reprints them and compares.
data="$root/benches/report-data"
# REUSE=1: print the section again from the passes the last run saved
# (after a change to this script's presentation), without measuring;
# BENCH_RESULTS=<dir> reads them from <dir> instead (REUSE only).
reuse="${REUSE:-}"
mode="${1:-}"
if [[ "$mode" == "--check" ]]; then
  reuse=1
  results="$data"
elif [[ -n "${BENCH_RESULTS:-}" ]]; then
  [[ -n "$reuse" ]] || { echo "BENCH_RESULTS needs REUSE=1 (a measuring run starts its directory afresh)" >&2; exit 2; }
  results="$BENCH_RESULTS"
fi
if [[ -z "$reuse" ]]; then
  rm -rf "$results"
fi
mkdir -p "$results"

# Criterion's median estimate of every benchmark under $1, as JSON in $2.
collect() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
out = {}
for dirpath, _, files in os.walk(sys.argv[1]):
    if os.path.basename(dirpath) == "new" and "benchmark.json" in files:
        bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
        est = json.load(open(os.path.join(dirpath, "estimates.json")))
        out[bench["full_id"]] = est["median"]["point_estimate"]
json.dump(out, open(sys.argv[2], "w"), indent=1, sort_keys=True)
PY
}

if [[ -n "$reuse" ]]; then
  passes="$(find "$results" -name 'now-*.json' | wc -l)"
  ((passes > 0)) || { echo "REUSE=1: no saved passes in $results" >&2; exit 2; }
fi
work=""
if [[ -z "$reuse" ]] && git -C "$root" cat-file -e "$before^{commit}" 2>/dev/null; then
  work="$(mktemp -d)"
  trap 'git -C "$root" worktree remove --force "$work" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  git -C "$root" worktree add --detach --quiet "$work" "$before"
fi
before_dir="$target_dir/bench-before"
portable_dir="$target_dir/bench-portable"

# Measure (no passes to run when reusing).
for pass in $([[ -n "$reuse" ]] || seq "$passes"); do
  echo "benches/report.sh: pass $pass of $passes" >&2
  rm -rf "$criterion/bucket" "$criterion/bucket classes" "$criterion/breaker" "$criterion/retry" "$criterion/contended" \
    "$criterion/limiters" "$criterion/keyed" "$criterion/limiters contended" "$criterion/redis"
  cargo bench --quiet -p tickguard-benches --bench hot_paths --manifest-path "$root/Cargo.toml" >&2
  # The other limiters, keyed buckets beside governor's keyed limiter, and
  # the bytes each keyed limiter holds per key.
  TICKGUARD_BENCH_MEMORY="$results/memory-$pass.json" \
    cargo bench --quiet -p tickguard-benches --bench limiters --manifest-path "$root/Cargo.toml" >&2
  # tickguard-redis beside a server-side Lua GCRA script, on a fresh local
  # server (.ci/with-redis), with the round trips per decision.
  if command -v redis-server >/dev/null; then
    TICKGUARD_BENCH_ROUND_TRIPS="$results/round-trips-$pass.json" "$root/.ci/with-redis" \
      cargo bench --quiet -p tickguard-benches --bench redis --manifest-path "$root/Cargo.toml" >&2
  else
    echo "benches/report.sh: no redis-server: the Redis rows are skipped (.ci/setup installs it)" >&2
  fi
  collect "$criterion" "$results/now-$pass.json"
  cargo bench --quiet -p tickguard-benches --bench paired --manifest-path "$root/Cargo.toml" \
    >"$results/paired-$pass.json"
  # The breaker's hot paths again with portable-atomic's 128-bit operations
  # instead of the inline assembly (x86_64): why the assembly stays.
  if [[ "$(uname -m)" == x86_64 ]]; then
    rm -rf "$portable_dir/criterion"
    RUSTFLAGS="--cfg tickguard_portable_atomics" CARGO_TARGET_DIR="$portable_dir" cargo bench --quiet \
      -p tickguard-benches --bench hot_paths --manifest-path "$root/Cargo.toml" -- "^breaker/(acquire\+success|refusal \(OPEN\))/tickguard$" >&2
    collect "$portable_dir/criterion" "$results/portable-$pass.json"
  fi
  if [[ -n "$work" ]]; then
    rm -rf "$before_dir/criterion"
    (cd "$work" && CARGO_TARGET_DIR="$before_dir" cargo bench --quiet -p tickguard-benches \
      --bench hot_paths -- tickguard >&2)
    collect "$before_dir/criterion" "$results/before-$pass.json"
  fi
done

# Microcontrollers: instructions per operation and the longest run with
# interrupts masked on Cortex-M0 and Cortex-M4, counted under QEMU with
# -icount (deterministic) by c-examples/size-report.sh, when the toolchain
# is installed (the test command installs it).
if [[ -z "$reuse" ]]; then
  if command -v arm-none-eabi-size >/dev/null && command -v qemu-system-arm >/dev/null; then
    echo "benches/report.sh: microcontroller counts (c-examples/size-report.sh)" >&2
    bash "$root/c-examples/size-report.sh" >"$results/mcu.md" || rm -f "$results/mcu.md"
  else
    echo "benches/report.sh: no arm-none-eabi toolchain or QEMU: microcontroller counts skipped (.ci/setup installs them)" >&2
  fi
fi

# README's summary goes here (a scratch file when only checking).
summary_file="$results/summary.md"
if [[ "$mode" == "--check" ]]; then
  summary_file="$(mktemp)"
fi
section="$(python3 - "$results" "$before" "$passes" "$summary_file" <<'PY'
import glob, json, os, platform, statistics, subprocess, sys

def passes_of(prefix):
    """The passes saved as `prefix-N.json`, in order."""
    files = glob.glob(os.path.join(sys.argv[1], f"{prefix}-*.json"))
    files.sort(key=lambda f: int(f.rsplit("-", 1)[1].split(".")[0]))
    return [json.load(open(f)) for f in files]

def medians(runs):
    """Each benchmark's median over the passes."""
    keys = set().union(*runs) if runs else set()
    return {k: statistics.median(r[k] for r in runs if k in r) for k in keys}

now_runs = passes_of("now")
now = medians(now_runs)
old = medians(passes_of("before"))
rev = sys.argv[2]
passes = int(sys.argv[3])

def ns(key):
    return now.get(key)

def fmt(v):
    return "–" if v is None else f"{v:.1f} ns"

def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.2f}×"

# The machine that measured the passes, saved beside them by the run that
# measured (a reprint names that machine, not the one reprinting).
machine_path = os.path.join(sys.argv[1], "machine.txt")
if os.path.exists(machine_path):
    machine = open(machine_path).read().strip()
else:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    machine = f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {rustc}"
    open(machine_path, "w").write(machine + "\n")

runs = "one pass" if passes == 1 else f"the median of {passes} passes"
lines = [f"Measured by `benches/report.sh` in one run ({runs} over the suite) on: {machine}.", ""]
def median_of(each):
    """The median of per-pass ratios, or None if any pass lacks one."""
    return None if not each or None in each else statistics.median(each)
def div(a, b):
    return None if a is None or b is None else a / b
def within(a_key, b_key):
    """b's time / a's, within each pass; the median (None if unmeasured)."""
    return median_of([div(r.get(b_key), r.get(a_key)) for r in now_runs])
FAKE = "fake: tickguard's ticks / governor's `FakeRelativeClock` / failsafe's mock clock"
REAL = "real: tickguard reads `Instant` (ns ticks); the peer its default clock"
like_start = len(lines)
lines += ["Like beside like: each row is one clock on both sides and names the peer's policy. "
          "Ratio: the peer's time / tickguard's, within each pass (above 1: tickguard is faster).", "",
          "| operation | clock | tickguard | peer (its policy) | peer | ratio |", "|---|---|---:|---|---:|---:|"]
CONSECUTIVE = "failsafe, 5 consecutive failures (tickguard's policy)"
DEFAULT = "failsafe, default policy (success rate or 5 consecutive failures)"
RATE = "failsafe, success rate ≥ 50 % over 30 s, 10 calls at least (tickguard: failure rate ≥ 50 % of the last 20, 10 at least)"
TIMED = "failsafe, success rate ≥ 50 % over 30 s, 10 calls at least (tickguard: failure rate ≥ 50 % over the last 30 000 ticks, 10 at least)"
for name, clock, ours, peer, theirs in [
    ("bucket: grant", FAKE, "bucket/grant/tickguard", "governor `check()`, same quota", "bucket/grant/governor (fake clock)"),
    ("bucket: grant", FAKE, "bucket/grant/tickguard", "mutex + f64 (a naive design)", "bucket/grant/mutex+f64"),
    ("bucket: grant", REAL, "bucket/grant/tickguard (Instant)", "governor `check()` (`quanta` clock)", "bucket/grant/governor (default clock)"),
    ("bucket: refusal", FAKE, "bucket/refusal/tickguard", "governor `check()`, same quota", "bucket/refusal/governor (fake clock)"),
    ("bucket: refusal", FAKE, "bucket/refusal/tickguard", "mutex + f64 (a naive design)", "bucket/refusal/mutex+f64"),
    ("bucket: refusal", REAL, "bucket/refusal/tickguard (Instant)", "governor `check()` (`quanta` clock)", "bucket/refusal/governor (default clock)"),
    ("bucket: grant, live (`LiveBucket`, every C bucket)", FAKE, "bucket/grant/tickguard live (reconfigurable)", "governor `check()`, same quota", "bucket/grant/governor (fake clock)"),
    ("bucket: refusal, live (`LiveBucket`, every C bucket)", FAKE, "bucket/refusal/tickguard live (reconfigurable)", "governor `check()`, same quota", "bucket/refusal/governor (fake clock)"),
    ("breaker: acquire + record success (CLOSED)", FAKE, "breaker/acquire+success/tickguard", CONSECUTIVE, "breaker/acquire+success/failsafe, consecutive failures (mock clock)"),
    ("breaker: acquire + record success (CLOSED)", FAKE, "breaker/acquire+success/tickguard", DEFAULT, "breaker/acquire+success/failsafe, default policy (mock clock)"),
    ("breaker: acquire + record success (CLOSED)", REAL, "breaker/acquire+success, real clock/tickguard", DEFAULT, "breaker/acquire+success, real clock/failsafe, default policy"),
    ("breaker: refusal (OPEN)", FAKE, "breaker/refusal (OPEN)/tickguard", CONSECUTIVE, "breaker/refusal (OPEN)/failsafe, consecutive failures (mock clock)"),
    ("breaker: refusal (OPEN)", FAKE, "breaker/refusal (OPEN)/tickguard", DEFAULT, "breaker/refusal (OPEN)/failsafe, default policy (mock clock)"),
    ("breaker: refusal (OPEN)", REAL, "breaker/refusal (OPEN), real clock/tickguard", DEFAULT, "breaker/refusal (OPEN), real clock/failsafe, default policy"),
    ("breaker: trip and recover (5 failures, open period, 1 successful trial)", FAKE, "breaker/trip and recover/tickguard", CONSECUTIVE, "breaker/trip and recover/failsafe, consecutive failures (mock clock)"),
    ("breaker: trip and recover (5 failures, open period, 1 successful trial)", FAKE, "breaker/trip and recover/tickguard", DEFAULT, "breaker/trip and recover/failsafe, default policy (mock clock)"),
    ("breaker: trip, failed trial, recover (open period doubling up to 4×, jittered)", FAKE, "breaker/trip, failed trial, recover (growing open)/tickguard", "failsafe, 5 consecutive failures, equal-jittered exponential backoff (tickguard: ±25 % from its seed)", "breaker/trip, failed trial, recover (growing open)/failsafe, consecutive failures, equal-jittered backoff (mock clock)"),
    ("breaker, failure-rate window: acquire + record success (CLOSED, a clean window)", FAKE, "breaker/acquire+success, failure-rate window/tickguard", RATE, "breaker/acquire+success/failsafe, success rate (mock clock)"),
    ("breaker, failure-rate window: acquire + record, 1 failure in 4 (CLOSED)", FAKE, "breaker/acquire+record, 1 failure in 4, failure-rate window/tickguard", RATE, "breaker/acquire+record, 1 failure in 4/failsafe, success rate (mock clock)"),
    ("breaker, failure-rate window: refusal (OPEN)", FAKE, "breaker/refusal (OPEN), failure-rate window/tickguard", RATE, "breaker/refusal (OPEN)/failsafe, success rate (mock clock)"),
    ("breaker, time window (30 000 ticks, 4 buckets): acquire + record success (CLOSED)", FAKE, "breaker/acquire+success, time window/tickguard", TIMED, "breaker/acquire+success/failsafe, success rate (mock clock)"),
    ("breaker, time window (30 000 ticks, 4 buckets): acquire + record, 1 failure in 4 (CLOSED)", FAKE, "breaker/acquire+record, 1 failure in 4, time window/tickguard", TIMED, "breaker/acquire+record, 1 failure in 4/failsafe, success rate (mock clock)"),
    ("breaker, time window (30 000 ticks, 4 buckets): refusal (OPEN)", FAKE, "breaker/refusal (OPEN), time window/tickguard", TIMED, "breaker/refusal (OPEN)/failsafe, success rate (mock clock)"),
    ("breaker, window and counters (every C breaker): acquire + record success (CLOSED, a clean window)", FAKE, "breaker/acquire+success, window and counters/tickguard", RATE, "breaker/acquire+success/failsafe, success rate (mock clock)"),
    ("breaker, window and counters (every C breaker): refusal (OPEN)", FAKE, "breaker/refusal (OPEN), window and counters/tickguard", RATE, "breaker/refusal (OPEN)/failsafe, success rate (mock clock)"),
]:
    r = within(ours, theirs)
    lines.append(f"| {name} | {clock.split(':')[0]} | {fmt(ns(ours))} | {peer} | {fmt(ns(theirs))} | {'–' if r is None else f'{r:.2f}×'} |")
for name, key in [
    ("breaker: acquire + record success, a new ms tick every call (open 60 s: notes every tick)", "breaker/acquire+success, a new ms tick every call/tickguard"),
    ("breaker: acquire + record success, a new µs tick every call (open 60 s: notes every 915 ticks)", "breaker/acquire+success, a new µs tick every call/tickguard"),
    ("bucket: reconfigure (`LiveBucket`: publish a rate, carry the tokens)", "bucket/reconfigure/tickguard live"),
    ("128-bit CAS floor (one load + one compare-and-swap)", "bucket/128-bit CAS floor"),
    ("retry step (exponential backoff, equal jitter)", "retry/step, exponential + equal jitter/tickguard"),
    ("retry step (Polly's decorrelated jitter v2)", "retry/step, exponential + decorrelated v2/tickguard"),
    ("retry budget: record an outcome + check", "retry/budget: record + check/tickguard")]:
    lines.append(f"| {name} | fake | {fmt(ns(key))} | | | |")
lines += ["", f"Clocks: {FAKE}; {REAL} (governor: `quanta`, the CPU's time-stamp counter; failsafe: `Instant::now()`).", ""]
like_end = len(lines)

def speedup(t1, t2):
    return None if t1 is None or t2 is None else 2 * t1 / t2
def within_passes(measure):
    """The median over the passes of a ratio taken within each pass."""
    return median_of([measure(run) for run in now_runs])
# The bucket's rate classes (benches/benches/hot_paths.rs, RATE_CLASSES),
# each beside governor on the same fake clock and quota.
classes = list({k.split("/", 1)[1].rsplit(": ", 1)[0] for k in now if k.startswith("bucket classes/")})
class_order = ["fast path", "64-bit general", "128-bit word", "7 per second", "100 per second", "starting empty", "mixed"]
classes.sort(key=lambda c: next((i for i, p in enumerate(class_order) if c.startswith(p)), 99))
def class_key(c, op, lib):
    return f"bucket classes/{c}: {op}/{lib}"
def class_ratio(c, op):
    """governor's time / tickguard's within each pass; the median."""
    return within(class_key(c, op, "tickguard"), class_key(c, op, "governor (fake clock)"))
class_start = len(lines)
if classes:
    lines += ["The bucket in every rate class beside governor's `check()`, the same quota and the same fake clock moving on every call "
              "(`bucket classes` in `benches/benches/hot_paths.rs`; a grant workload grants every call, or about half in the mixed class; "
              "a refusal workload is drained with the clock stopped). Ratio: governor's time / tickguard's, within each pass:", "",
              "| rate class | grant: tickguard | governor | ratio | refusal: tickguard | governor | ratio |", "|---|---:|---:|---:|---:|---:|---:|"]
    for c in classes:
        cells = []
        for op in ["grant", "refusal"]:
            r = class_ratio(c, op)
            cells += [fmt(ns(class_key(c, op, "tickguard"))), fmt(ns(class_key(c, op, "governor (fake clock)"))), "–" if r is None else f"{r:.2f}×"]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines.append("")
class_end = len(lines)

lines += ["One instance, one thread and two threads pinned to the two cores and released together (time per call on each thread; "
          "throughput of two relative to one, taken within each pass):", "",
          "| contended | 1 thread | 2 threads | 2-thread throughput vs 1 |", "|---|---:|---:|---:|"]
def contended(threads, key):
    """The benchmark name of `key` ("bucket refusal {}/tickguard") on 1 or 2 threads."""
    return f"contended/{key.format(f'x{threads}')}"
def scaling(run, key):
    """Throughput of two threads relative to one in `run`, from per-call times."""
    return speedup(run.get(contended(1, key)), run.get(contended(2, key)))
for name, key in [("bucket grant, tickguard", "grant {}/tickguard"), ("bucket grant, governor (fake clock)", "grant {}/governor (fake clock)"),
                  ("bucket refusal, tickguard", "bucket refusal {}/tickguard"), ("breaker refusal (OPEN), tickguard", "breaker refusal {}/tickguard"),
    ("read-only floor: one shared word and clock loaded and compared", "read-only floor {}")]:
    s = within_passes(lambda run: scaling(run, key))
    lines.append(f"| {name} | {fmt(ns(contended(1, key)))} | {fmt(ns(contended(2, key)))} | {'–' if s is None else f'{s:.2f}×'} |")
lines.append("")
# The other limiters (benches/benches/limiters.rs), beside the naive
# designs where there is no library peer; keyed buckets beside governor's
# keyed limiter; the two-thread refusals.
KEY_COUNTS = [1, 1000, 100000]
READ_ONLY_REFUSALS = [("sliding window", "sliding window refusal {}/tickguard"), ("sliding log", "sliding log refusal {}/tickguard"), ("shaper", "shaper refusal {}/tickguard"),
                      ("bulkhead", "bulkhead refusal {}/tickguard"), ("adaptive limit", "adaptive refusal {}/tickguard"), ("adaptive limit, live", "adaptive live refusal {}/tickguard"),
                      ("keyed", "keyed refusal {}/tickguard"), ("keyed, live", "keyed live refusal {}/tickguard"), ("keyed windows", "keyed windows refusal {}/tickguard")]
def limiter_contended(threads, key):
    return f"limiters contended/{key.format(f'x{threads}')}"
def limiter_scaling(run, key):
    return speedup(run.get(limiter_contended(1, key)), run.get(limiter_contended(2, key)))
limiter_start = len(lines)
if any(k.startswith("limiters/") for k in now):
    lines += ["The other limiters, one thread, a fake clock (`benches/benches/limiters.rs`); where no library is a peer, the naive design "
              "behind a mutex. Ratio: the peer's time / tickguard's, within each pass:", "",
              "| operation | tickguard | peer | peer time | ratio |", "|---|---:|---|---:|---:|"]
    for name, ours, peer, theirs in [
        ("fixed window: admit", "limiters/fixed window: admit/tickguard", "the kernel's `ratelimit` behind a mutex", "limiters/fixed window: admit/mutex (kernel ratelimit)"),
        ("fixed window: suppress and count", "limiters/fixed window: suppress (counted)/tickguard", "the kernel's `ratelimit` behind a mutex", "limiters/fixed window: suppress (counted)/mutex (kernel ratelimit)"),
        ("shaper: schedule (sent at once)", "limiters/shaper: schedule/tickguard", "", None),
        ("shaper: refusal (wait too long)", "limiters/shaper: refusal/tickguard", "", None),
        ("sliding window: grant", "limiters/sliding window: grant/tickguard", "", None),
        ("sliding window: refusal", "limiters/sliding window: refusal/tickguard", "", None),
        ("sliding log: grant", "limiters/sliding log: grant/tickguard", "an exact log (a queue) behind a mutex", "limiters/sliding log: grant/mutex log"),
        ("sliding log: refusal", "limiters/sliding log: refusal/tickguard", "an exact log (a queue) behind a mutex", "limiters/sliding log: refusal/mutex log"),
        ("bulkhead: acquire + release", "limiters/bulkhead: acquire + release/tickguard", "a counter behind a mutex", "limiters/bulkhead: acquire + release/mutex counter"),
        ("bulkhead: refusal (full)", "limiters/bulkhead: refusal (full)/tickguard", "", None),
        ("adaptive limit: acquire + release", "limiters/adaptive: acquire + release/tickguard", "AIMD over a counter behind a mutex", "limiters/adaptive: acquire + release/mutex aimd"),
        ("adaptive limit: refusal (at the limit)", "limiters/adaptive: refusal (at the limit)/tickguard", "", None),
        ("adaptive limit, live (every C adaptive limit): acquire + release", "limiters/adaptive: acquire + release, live/tickguard", "AIMD over a counter behind a mutex", "limiters/adaptive: acquire + release/mutex aimd"),
        ("adaptive limit, live: refusal (at the limit)", "limiters/adaptive: refusal (at the limit), live/tickguard", "", None),
        ("adaptive limit, live: reconfigure (new bounds)", "limiters/adaptive: reconfigure/tickguard live", "", None),
        ("keyed buckets, live: reconfigure, 1 024 entries held (each key's tokens carried)", "limiters/keyed: reconfigure, 1024 entries/tickguard live", "", None),
        ("event queue: push + pop a transition (8 slots)", "limiters/events: push + pop/tickguard", "heapless's lock-free `mpmc::Q8`", "limiters/events: push + pop/heapless mpmc"),
        ("event queue: push + pop a transition (8 slots)", "limiters/events: push + pop/tickguard", "a deque behind a mutex", "limiters/events: push + pop/mutex deque"),
        ("keyed windows: grant (1 000 keys in turn)", "limiters/keyed windows: grant, 1000 keys/tickguard", "", None),
        ("keyed windows: refusal", "limiters/keyed windows: refusal/tickguard", "", None)]:
        r = within(ours, theirs) if theirs else None
        lines.append(f"| {name} | {fmt(ns(ours))} | {peer} | {fmt(ns(theirs)) if theirs else ''} | {'' if not theirs else ('–' if r is None else f'{r:.2f}×')} |")
    lines.append("")
    memory = medians(passes_of("memory"))
    per_key = memory.get("governor keyed bytes per key (100000 keys)")
    lines += ["Keyed buckets beside governor's keyed limiter (`RateLimiter::dashmap_with_clock`, its default hasher), the same quota "
              "(a burst of 10, one token per tick) and the same fake clock moving one tick per call; each call checks the next of N "
              "distinct keys in turn, so every check grants. tickguard's table has 2^17 entries (2 MiB, fixed whatever keys arrive); "
              f"governor's map held {'–' if per_key is None else f'{per_key:.0f}'} bytes per key with 100 000 keys and grows with every new key "
              "until `retain_recent` runs. Ratio: governor's time / tickguard's, within each pass:", "",
              "| distinct keys | tickguard | governor keyed | ratio | tickguard live (every C table) | ratio |", "|---:|---:|---:|---:|---:|---:|"]
    for keys in KEY_COUNTS:
        ours, theirs = f"keyed/check, {keys} keys/tickguard", f"keyed/check, {keys} keys/governor keyed (dashmap, fake clock)"
        live = f"keyed/check, {keys} keys/tickguard live"
        r, rl = within(ours, theirs), within(live, theirs)
        lines.append(f"| {keys:,} | {fmt(ns(ours))} | {fmt(ns(theirs))} | {'–' if r is None else f'{r:.2f}×'} "
                     f"| {fmt(ns(live))} | {'–' if rl is None else f'{rl:.2f}×'} |".replace(",", " "))
    lines += ["", "Their refusals on one and two threads (throughput of two relative to one, within each pass; "
              "the fixed window's suppressions write their count, so they do not scale):", "",
              "| contended | 1 thread | 2 threads | 2-thread throughput vs 1 |", "|---|---:|---:|---:|"]
    for name, key in READ_ONLY_REFUSALS + [("fixed window (suppress and count: writes)", "fixed window suppress (writes) {}/tickguard")]:
        sc = within_passes(lambda run: limiter_scaling(run, key))
        lines.append(f"| {name} refusal | {fmt(ns(limiter_contended(1, key)))} | {fmt(ns(limiter_contended(2, key)))} | {'–' if sc is None else f'{sc:.2f}×'} |")
    lines.append("")
round_trips = medians(passes_of("round-trips"))
REDIS = [("grant, 1 client, one key", "grant, 1 client, one key"), ("grant, 1 client, 1 000 keys", "grant, 1 client, 1 000 keys"),
         ("grant, 8 clients, one key", "grant, 8 clients, one key"), ("grant, 8 clients, 1 000 keys", "grant, 8 clients, 1 000 keys"),
         ("refusal, 1 client", "refusal, 1 client")]
if any(ns(f"redis/{key}/lua gcra") for _, key in REDIS):
    def us(v):
        return "–" if v is None else (f"{v:.0f} ns" if v < 1000 else f"{v / 1000:.1f} µs")
    def per_second(v, clients=1):
        return "–" if not v else f"{1e9 / v:,.0f}".replace(",", " ")
    lines += ["Beyond one machine: `tickguard-redis` beside the usual server-side Lua GCRA script (the whole decision in the script, "
              "one round trip each), both through the same client (`redis` 0.32, sync) against one local `redis-server` on loopback "
              "(`benches/benches/redis.rs`). A bucket that grants every call; 8 clients are 8 threads with a connection each, "
              "and the time is per decision of all of them together (throughput's inverse). Round trips per decision: tickguard-redis's "
              "(a conflict with another client's write costs one more; the Lua script always makes one). Ratio: the script's time / "
              "tickguard-redis's, within each pass:", "",
              "| operation | tickguard-redis | decisions/s | round trips | Lua GCRA | decisions/s | ratio |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, key in REDIS[:4]:
        ours, theirs = f"redis/{key}/tickguard", f"redis/{key}/lua gcra"
        r = within(ours, theirs)
        trips = round_trips.get(key)
        lines.append(f"| {name} | {us(ns(ours))} | {per_second(ns(ours))} | {'–' if trips is None else f'{trips:.2f}'} "
                     f"| {us(ns(theirs))} | {per_second(ns(theirs))} | {'–' if r is None else f'{r:.2f}×'} |")
    ran_out = round_trips.get("grant, 8 clients, one key, contended")
    for name, ours, trips in [("refusal, 1 client, from the cached word", "redis/refusal, 1 client/tickguard (cached)", 0.0),
                              ("refusal, 1 client, cache off", "redis/refusal, 1 client/tickguard (no cache)", round_trips.get("refusal, 1 client, no cache"))]:
        theirs = "redis/refusal, 1 client/lua gcra"
        r = within(ours, theirs)
        lines.append(f"| {name} | {us(ns(ours))} | {per_second(ns(ours))} | {'–' if trips is None else f'{trips:.2f}'} "
                     f"| {us(ns(theirs))} | {per_second(ns(theirs))} | {'–' if r is None else f'{r:.2f}×'} |")
    lines += ["", "At 8 clients on one key "
              + ("" if ran_out is None else f"{ran_out * 100:.0f} % of the decisions ran out of their 16 round trips (`Error::Contended`) and ")
              + "every compare-and-set but one per round of clients conflicts: an optimistic word costs round trips under "
              "contention that a script doing the whole step on the server does not.", ""]
limiter_end = len(lines)
paired_runs = passes_of("paired")
rounds = [t for run in paired_runs for key, times in run.items() if key != "repeated" for t in times]
repeated = sum(sum(run.get("repeated", [0])) for run in paired_runs)
def paired_ratio(run):
    """governor's time / tickguard's, within each round; the median."""
    pairs = zip(run.get("grant x2/governor (fake clock)", []), run.get("grant x2/tickguard", []))
    ratios = [g / t for g, t in pairs if t > 0]
    return statistics.median(ratios) if ratios else None
if rounds:
    lines += [f"Two-thread grants took from {min(rounds):.0f} to {max(rounds):.0f} ns per call from one short round to the next, "
              "for both libraries alike, so their goal below is measured in paired rounds (`benches/paired.rs`: "
              f"both workloads back to back, {len(paired_runs[0]['grant x2/tickguard'])} rounds per pass) "
              "and is the median of the ratios within rounds. In every two-thread measurement the controlling thread blocks "
              "while the pinned workers run, and a round in which a worker was switched out for more than 2% of it (thread CPU time against wall time) "
              f"is run again: {repeated} paired rounds were, over the passes.", ""]

def agreement(a, b):
    """The smaller of two figures over the larger (1: equal)."""
    return None if not a or not b else min(a, b) / max(a, b)
def paired_of(run):
    """The paired rounds' ratio (governor / tickguard) of the pass that measured `run`."""
    index = next((i for i, r in enumerate(now_runs) if r is run), None)
    return None if index is None or index >= len(paired_runs) else paired_ratio(paired_runs[index])
goals = [
    ("bucket grant: governor (fake clock) time / tickguard time", 1.0,
     lambda d: div(d.get("bucket/grant/governor (fake clock)"), d.get("bucket/grant/tickguard"))),
    ("bucket refusal: governor (fake clock) time / tickguard time", 1.0,
     lambda d: div(d.get("bucket/refusal/governor (fake clock)"), d.get("bucket/refusal/tickguard"))),
] + [(f"breaker {what}: failsafe ({policy}, mock clock) / tickguard", target,
        (lambda key, policy: lambda d: div(d.get(f"breaker/{key}/failsafe, {policy} (mock clock)"), d.get(f"breaker/{key}/tickguard")))(key, policy))
       for what, key, target in [("CLOSED acquire+record", "acquire+success", 5.0), ("OPEN refusal", "refusal (OPEN)", 5.0),
                                 ("trip and recover", "trip and recover", 1.0)]
       for policy in ["consecutive failures", "default policy"]] + [
    (f"breaker with a failure-rate window, {what}: failsafe (success rate, mock clock) / tickguard", 10.0,
     (lambda ours, theirs: lambda d: div(d.get(f"breaker/{theirs}/failsafe, success rate (mock clock)"), d.get(f"breaker/{ours}/tickguard")))(ours, theirs))
    for what, ours, theirs in [("CLOSED acquire+record success", "acquire+success, failure-rate window", "acquire+success"),
                               ("CLOSED acquire+record, 1 failure in 4", "acquire+record, 1 failure in 4, failure-rate window", "acquire+record, 1 failure in 4"),
                               ("OPEN refusal", "refusal (OPEN), failure-rate window", "refusal (OPEN)")]] + [
    (f"breaker with a time window, {what}: failsafe (success rate, mock clock) / tickguard", 10.0,
     (lambda ours, theirs: lambda d: div(d.get(f"breaker/{theirs}/failsafe, success rate (mock clock)"), d.get(f"breaker/{ours}/tickguard")))(ours, theirs))
    for what, ours, theirs in [("CLOSED acquire+record success", "acquire+success, time window", "acquire+success"),
                               ("CLOSED acquire+record, 1 failure in 4", "acquire+record, 1 failure in 4, time window", "acquire+record, 1 failure in 4"),
                               ("OPEN refusal", "refusal (OPEN), time window", "refusal (OPEN)")]] + [
    ("breaker CLOSED, a new ms tick every call: time with a rarely moving tick / this (within 1.5×)", 1 / 1.5,
     lambda d: div(d.get("breaker/acquire+success/tickguard"), d.get("breaker/acquire+success, a new ms tick every call/tickguard"))),
    ("breaker CLOSED, a new µs tick every call: time with a rarely moving tick / this (within 1.5×)", 1 / 1.5,
     lambda d: div(d.get("breaker/acquire+success/tickguard"), d.get("breaker/acquire+success, a new µs tick every call/tickguard"))),
    ("two-thread grant throughput: tickguard / governor (paired rounds)", 1.0, None),
    ("two-thread grant throughput, tickguard / governor: criterion's ratio and the paired rounds' agree within 15% (smaller / larger)", 1 / 1.15,
     lambda d: agreement(div(d.get("contended/grant x2/governor (fake clock)"), d.get("contended/grant x2/tickguard")), paired_of(d))),
] + [(f"bucket {op}, {c}: governor / tickguard", 1.0,
       (lambda c, op: lambda d: div(d.get(class_key(c, op, "governor (fake clock)")), d.get(class_key(c, op, "tickguard"))))(c, op))
      for c in classes for op in ["grant", "refusal"]] + [
    ("bucket refusals, two threads / one thread, every pass", 1.8, lambda d: scaling(d, "bucket refusal {}/tickguard"), min),
    ("breaker refusals, two threads / one thread, every pass", 1.8, lambda d: scaling(d, "breaker refusal {}/tickguard"), min),
    ("read-only floor (no tickguard code), two threads / one thread, every pass: what this machine allows", 1.8,
     lambda d: scaling(d, "read-only floor {}"), min),
] + [(f"redis {what}: Lua GCRA time / tickguard-redis time (within 1.1×)", 1 / 1.1,
       (lambda key: lambda d: div(d.get(f"redis/{key}/lua gcra"), d.get(f"redis/{key}/tickguard")))(key))
      for what, key in [("grant, 1 client, one key", "grant, 1 client, one key"),
                        ("grant, 1 client, 1 000 keys", "grant, 1 client, 1 000 keys")]] + [
    ("redis refusal: a round trip (Lua GCRA refusal) / tickguard-redis's cached refusal", 10.0,
     lambda d: div(d.get("redis/refusal, 1 client/lua gcra"), d.get("redis/refusal, 1 client/tickguard (cached)"))),
    ("redis grants, 8 clients, one key: tickguard-redis throughput / Lua GCRA's", 0.8,
     lambda d: div(d.get("redis/grant, 8 clients, one key/lua gcra"), d.get("redis/grant, 8 clients, one key/tickguard"))),
] + [(f"keyed check, {keys} distinct keys: governor keyed (dashmap, fake clock) / tickguard", 1.0,
       (lambda keys: lambda d: div(d.get(f"keyed/check, {keys} keys/governor keyed (dashmap, fake clock)"), d.get(f"keyed/check, {keys} keys/tickguard")))(keys))
      for keys in KEY_COUNTS] + [
    (f"{name} refusals, two threads / one thread, every pass", 1.8,
     (lambda key: lambda d: limiter_scaling(d, key))(key), min)
    for name, key in READ_ONLY_REFUSALS]
lines += ["| goal (ratios from this run) | verdict on (median of the passes, or the worst pass) | each pass | target | |", "|---|---:|---:|---:|---|"]
# A goal's ratio is taken within each pass, between benchmarks run seconds
# apart (two-thread grants: within each paired round), and the median of
# those is the verdict, so that no ratio pairs a quiet minute with a noisy
# one.
unmet = []
for goal in goals:
    # (text, target, measure[, how the passes combine: the median, or
    # `min` where the goal holds for every pass])
    text, target, measure = goal[:3]
    combine = goal[3] if len(goal) > 3 else statistics.median
    each = [measure(run) for run in now_runs] if measure else [paired_ratio(run) for run in paired_runs]
    value = None if not each or None in each else combine(each)
    spread = "–" if value is None else " / ".join(f"{v:.2f}" for v in each)
    if value is None:
        lines.append(f"| {text} | – | {spread} | ≥ {target:.2f}× | not measured |")
    else:
        # Below the target but within 1% of it: a tie as far as these
        # machines can tell, still reported as not met.
        verdict = "met" if value >= target else "not met (within 1%)" if value >= 0.99 * target else "not met"
        lines.append(f"| {text} | {value:.3f}× | {spread} | ≥ {target:.2f}× | {verdict} |")
    if value is None or value < target:
        unmet.append(f"| {text} | {'–' if value is None else f'{value:.3f}×'} | ≥ {target:.2f}× |")
lines.append("")
# Microcontrollers (c-examples/size-report.sh's output, this run).
mcu_path = os.path.join(sys.argv[1], "mcu.md")
mcu = open(mcu_path).read().splitlines() if os.path.exists(mcu_path) else []
instructions = [l for l in mcu if l.startswith("| operation (`instructions` bin)")]
masked = [l for l in mcu if l.startswith("Longest run with interrupts masked")]
if instructions and masked:
    at = mcu.index(instructions[0])
    table = []
    for l in mcu[at:]:
        if not l.startswith("|"):
            break
        table.append(l)
    lines += ["Microcontrollers, from deterministic QEMU instruction counts (`-icount`, `c-examples/size-report.sh`, this run): "
              "instructions executed per operation, and the longest run of instructions executed with interrupts masked "
              "(the interrupt latency tickguard adds), from the disassembly:", ""] + table + ["", masked[0], ""]
    import re
    m0 = re.search(r"Cortex-M0 (\d+) instructions", masked[0])
    if m0:
        count = int(m0.group(1))
        verdict = "met" if count <= 150 else "not met"
        lines += ["| goal | measured | target | |", "|---|---:|---:|---|",
                  f"| longest run with interrupts masked, Cortex-M0 | {count} instructions | ≤ 150 | {verdict} |", ""]
        if count > 150:
            unmet.append(f"| longest run with interrupts masked, Cortex-M0 | {count} instructions | ≤ 150 |")
else:
    lines += ["Microcontrollers: not measured in this run (no arm-none-eabi toolchain or QEMU); "
              "`c-examples/size-report.sh` and docs/embedded.md have the counts.", ""]
# README's summary: the like-beside-like table, the rate classes and the
# goals this run did not meet.
summary = [lines[0], ""] + lines[like_start:like_end] + lines[class_start:class_end] + lines[limiter_start:limiter_end]
if instructions and masked:
    summary += [masked[0] + " Per-operation counts: docs/performance.md and docs/embedded.md.", ""]
summary += ["Goals not met in this run (each row's reason follows the table; \"within 1%\" is a tie as far as this machine can tell):", "",
            "| goal | measured | target |", "|---|---:|---:|"] + (unmet or ["| (none) | | |"])
open(sys.argv[4], "w").write("\n".join(summary) + "\n")
portable_runs = passes_of("portable")
if portable_runs:
    portable = medians(portable_runs)
    lines += ["The x86_64 128-bit word: the inline assembly (`core/src/cell/x86_64.rs`) against `portable-atomic`'s own operations "
              "(`--cfg tickguard_portable_atomics`, a call through a function pointer chosen at run time), same run:", "",
              "| operation | inline assembly | portable-atomic | portable-atomic / inline (within each pass) |", "|---|---:|---:|---:|"]
    for name, key in [("breaker: acquire + record success (CLOSED)", "breaker/acquire+success/tickguard"),
                      ("breaker: refusal (OPEN)", "breaker/refusal (OPEN)/tickguard")]:
        each = median_of([div(p.get(key), n.get(key)) for p, n in zip(portable_runs, now_runs)])
        lines.append(f"| {name} | {fmt(ns(key))} | {fmt(portable.get(key))} | {'–' if each is None else f'{each:.2f}×'} |")
    lines.append("")
if old:
    lines += [f"The move from 32-bit words on a wrapping tick to 64-bit time, same machine, same run (revision `{rev}` built from history):", "",
              "| operation | 32-bit words | 64-bit time (this revision) | after / before |", "|---|---:|---:|---:|"]
    for name, before_key, after_key in [
        ("bucket: grant", "bucket/tickguard grant", "bucket/grant/tickguard"),
        ("bucket: refusal", "bucket/tickguard refusal", "bucket/refusal/tickguard"),
        ("breaker: acquire + record success", "breaker/tickguard acquire+record success (CLOSED)", "breaker/acquire+success/tickguard"),
        ("breaker: refusal (OPEN)", "breaker/tickguard refusal (OPEN)", "breaker/refusal (OPEN)/tickguard")]:
        lines.append(f"| {name} | {fmt(old.get(before_key))} | {fmt(ns(after_key))} | {ratio(ns(after_key), old.get(before_key))} |")
print("\n".join(lines))
PY
)"
[[ "$mode" == "--check" ]] || echo "$section"

if [[ "$mode" == "--update-readme" ]]; then
  printf '%s\n' "$section" | python3 "$root/.ci/readme-section.py" bench-table
  python3 "$root/.ci/readme-section.py" bench-summary <"$summary_file"
  if [[ "$(cd "$results" && pwd -P)" != "$(mkdir -p "$data" && cd "$data" && pwd -P)" ]]; then
    rm -rf "$data" && mkdir -p "$data" && cp "$results"/*.json "$results"/*.txt "$data"/
    if [[ -f "$results/mcu.md" ]]; then cp "$results/mcu.md" "$data"/; fi
  fi
elif [[ "$mode" == "--check" ]]; then
  # The committed report is this script's output from the committed passes.
  section_file="$(mktemp)"
  printf '%s\n' "$section" >"$section_file"
  python3 - "$root" "$summary_file" "$section_file" <<'PY'
import re, sys
root, summary_path, section_path = sys.argv[1], sys.argv[2], sys.argv[3]
def between(path, name):
    text = open(f"{root}/{path}").read()
    match = re.search(f"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    return match.group(1).strip() if match else None
section = open(section_path).read().strip()
summary = open(summary_path).read().strip()
bad = [path for path, name, want in [("docs/performance.md", "bench-table", section), ("README.md", "bench-summary", summary)]
       if between(path, name) != want]
if bad:
    sys.exit("benches/report.sh --check: " + " and ".join(bad) + ": not the report of benches/report-data "
             "(rerun benches/report.sh --update-readme, or REUSE=1 benches/report.sh --update-readme after changing the script)")
print("benches/report.sh --check: docs/performance.md and README.md are the report of benches/report-data")
PY
  rm -f "$section_file" "$summary_file"
fi
