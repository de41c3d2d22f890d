//! Two-thread grants, tickguard and governor in alternating rounds.
//!
//! When two threads fight over one cache line, the time per call moves
//! severalfold from one short run to the next on a shared virtual machine,
//! for both libraries alike. Criterion measures
//! one benchmark after another, so a ratio of two of its medians can compare
//! a lucky run with an unlucky one. Here each round runs both workloads back
//! to back, in alternating order, and prints each round's time per call as
//! JSON; `benches/report.sh` takes the ratio within each round and the
//! median over the rounds. A round in which a worker was switched out (for
//! more than 2% of it) is run again (`run_pinned`); how many were is
//! printed as `repeated`.
//!
//! Run: `cargo bench -p tickguard-benches --bench paired` (about 10 s).

use std::sync::atomic::Ordering;
use std::time::Duration;

use tickguard_benches::{governor_grants, tickguard_grants, REPEATED_ROUNDS};

fn main() {
    // Rounds, and calls per thread in each workload of a round: `cargo
    // bench` passes `--bench`; `cargo test --benches` runs a quick check.
    let (rounds, iters) = if std::env::args().any(|arg| arg == "--bench") {
        (40, 1_000_000)
    } else {
        (2, 1_000)
    };
    let per_call_ns = |elapsed: Duration| elapsed.as_secs_f64() * 1e9 / iters as f64;
    // Warm up both, so that the first round measures no page faults.
    tickguard_grants(2, iters);
    governor_grants(2, iters);
    let repeated_before = REPEATED_ROUNDS.load(Ordering::Relaxed);
    let (mut tickguard, mut governor) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            tickguard.push(per_call_ns(tickguard_grants(2, iters)));
            governor.push(per_call_ns(governor_grants(2, iters)));
        } else {
            governor.push(per_call_ns(governor_grants(2, iters)));
            tickguard.push(per_call_ns(tickguard_grants(2, iters)));
        }
    }
    let list = |times: &[f64]| {
        times
            .iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Rounds run again because a worker was switched out.
    let repeated = REPEATED_ROUNDS.load(Ordering::Relaxed) - repeated_before;
    println!(
        "{{\"grant x2/tickguard\": [{}], \"grant x2/governor (fake clock)\": [{}], \"repeated\": [{repeated}]}}",
        list(&tickguard),
        list(&governor)
    );
}
