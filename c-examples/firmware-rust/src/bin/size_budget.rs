//! Size probe: a retry budget in a `static`, success + failure + check +
//! reset. See `c-examples/size-report.sh`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m as _; // its critical-section implementation
use cortex_m_rt::entry;
use tickguard::budget::{BudgetConfig, RetryBudget};

static CONFIG: BudgetConfig = match BudgetConfig::new(tickguard::budget::BudgetSettings {
    max_tokens: 10,
    token_ratio_milli: 100,
}) {
    Ok(config) => config,
    Err(_) => panic!("invalid budget"),
};
static BUDGET: RetryBudget = RetryBudget::new(&CONFIG);

#[entry]
fn main() -> ! {
    let mut i = 0u32;
    loop {
        i = i.wrapping_add(black_box(1));
        if black_box(i).is_multiple_of(3) {
            BUDGET.record_success();
        } else {
            BUDGET.record_failure();
        }
        black_box(BUDGET.allows_retry());
        if black_box(i).is_multiple_of(1024) {
            BUDGET.reset();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
