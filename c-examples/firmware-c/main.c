/* Bare-metal C firmware on the tickguard C library (Cortex-M4 on QEMU
 * mps2-an386, Cortex-M0 on QEMU microbit). SysTick at 1 kHz drives a 32-bit
 * tick counter, as HAL_GetTick does, started just below its wrap; a tick
 * extender, fed from the SysTick handler, turns it into the 64-bit ticks the
 * guards take. A breaker and a token bucket in static storage are shared by
 * the SysTick handler and main, and so is a log-flood guard (a fixed window
 * with a suppression count) that both log through. Reports over
 * semihosting and exits with the result of its own checks. */
#include <stdint.h>

#include "tickguard.h"

/* ---- semihosting ---- */
static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
static void put(const char *s) { semihost(0x04 /* SYS_WRITE0 */, s); }
static void put_u32(uint32_t v) {
  char buf[11];
  int i = 10;
  buf[i] = '\0';
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put(&buf[i]);
}
void semihost_exit(int success) {
  /* ADP_Stopped_ApplicationExit, or ADP_Stopped_RunTimeErrorUnknown. */
  semihost(0x18 /* SYS_EXIT */, (const void *)(uintptr_t)(success ? 0x20026 : 0x20023));
}

/* ---- the critical section, when this program supplies it ---- */
#ifdef TICKGUARD_C_CRITICAL_SECTION
/* The library was built with `c-critical-section`: tickguard updates its
 * state words between these two calls. One core here, so masking
 * interrupts (PRIMASK) is enough; under an RTOS or on several cores, call
 * the RTOS's or the chip's critical section instead (see tickguard.h). */
static volatile uint32_t sections_entered;
uint32_t tg_critical_section_enter(void) {
  uint32_t primask;
  __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
  sections_entered++;
  return primask;
}
void tg_critical_section_exit(uint32_t state) { __asm__ volatile("msr primask, %0" : : "r"(state) : "memory"); }
#endif

/* ---- the guards ---- */
/* Opens on 3 failures in a row, or on half of the last 8 calls failing (4
 * at least), counted afresh every 100 ticks while closed; each failed trial
 * lengthens the next open period x1.5 (up to 90 ticks), spread +-10 % from
 * the device's serial number. */
static const tg_breaker_config_t BREAKER_CONFIG = {
    .failure_threshold = 3,
    .open_ticks = 40,
    .half_open_permits = 2,
    .success_threshold = 2,
    .half_open_timeout_ticks = 30,
    .failure_rate_per_mille = 500,
    .rate_window = 8,
    .minimum_calls = 4,
    .closed_interval_ticks = 100,
    .open_multiplier_milli = 1500,
    .max_open_ticks = 90,
    .open_jitter_per_mille = 100,
    .jitter_seed = 0x0000746700000019ull,
};
static const tg_bucket_config_t LIMIT = {
    .capacity = 4, .tokens = 1, .period_ticks = 5, .initial_fill = TG_BUCKET_FULL};

/* At most 3 log lines per 50 ticks, from the handler and main together. */
static const tg_fixed_window_config_t LOG_LIMIT = {.burst = 3, .interval_ticks = 50};

static tg_breaker_t breaker;
static tg_bucket_t bucket;
static tg_fixed_window_t log_limit;
/* Per context (0: main, 1: SysTick): lines written, suppressed, and the
 * suppressed counts reported to that context. Separate counters, so that
 * the handler never interrupts main's read-modify-write of its own. */
static volatile uint32_t log_written[2], log_suppressed[2], log_reported[2];

/* A log line through the guard: written to a ring in real firmware;
 * counted here. */
static void log_line(int context, uint64_t now) {
  tg_fixed_window_decision_t d;
  tg_status_t s = tg_fixed_window_acquire(&log_limit, 1, now, &d);
  if (s != TG_OK && s != TG_REFUSED) return;
  log_reported[context] += d.missed; /* "N messages suppressed" */
  if (s == TG_OK) {
    log_written[context]++;
  } else {
    log_suppressed[context]++;
  }
}
static tg_tick_extender_t clock64;
#define START 0xFFFFFF00u /* 256 ticks before the 32-bit counter wraps */
static volatile uint32_t ticks = START;
static volatile uint32_t isr_grants;
static volatile uint32_t isr_saw_open;

/* The 64-bit tick of a 32-bit reading, counted from the start of the run. */
static uint64_t tick64(uint32_t raw) {
  uint64_t t = 0;
  tg_tick_extend(&clock64, raw, &t);
  return t - START;
}

void SysTick_Handler(void) {
  uint64_t now = tick64(++ticks); /* the extender sees every tick */
  if (now % 3 == 0 && tg_bucket_acquire(&bucket, 1, now, 0) == TG_OK) isr_grants++;
  tg_state_t state;
  if (tg_breaker_state(&breaker, now, &state) == TG_OK && state == TG_STATE_OPEN) isr_saw_open = 1;
  if (now >= 100 && now < 200) log_line(1, now); /* the sensor's error interrupt, every tick */
}

static const char *const STATE_NAMES[] = {"CLOSED", "OPEN", "HALF_OPEN", "FORCED_OPEN", "DISABLED"};

static void report(uint64_t now, const tg_transition_t *t, uint32_t *opened, uint32_t *closed) {
  if (!t->changed || t->from > 4 || t->to > 4) return;
  put("tick ");
  put_u32((uint32_t)now);
  put(": ");
  put(STATE_NAMES[t->from]);
  put(" -> ");
  put(STATE_NAMES[t->to]);
  put("\n");
  if (t->to == TG_STATE_OPEN) ++*opened;
  if (t->to == TG_STATE_CLOSED) ++*closed;
}

static int flaky_peripheral(uint64_t now) { return !(now >= 100 && now < 200); }

/* A reboot while the breaker is open: open it for 60 ticks, save a snapshot
 * 25 ticks later (to what would be a flash page), "reboot" (a fresh breaker
 * and a tick counter started again at 0), restore, and check it refuses
 * until the 35 ticks it had left have passed. */
static tg_breaker_t rebooted;
static int survives_a_reboot(void) {
  uint64_t opened_at = tick64(ticks), until = 0;
  if (tg_breaker_open_for(&breaker, 60, opened_at, &until, 0) != TG_OK) return 0;
  uint64_t saved_at;
  while ((saved_at = tick64(ticks)) < opened_at + 25) {
  }
  uint8_t flash[TG_BREAKER_SNAPSHOT_SIZE];
  if (tg_breaker_snapshot(&breaker, saved_at, flash, sizeof flash) != TG_OK) return 0;
  uint64_t left = until - saved_at;

  const uint32_t boot = ticks; /* uptime counts from 0 again */
  if (tg_breaker_init(&rebooted, &BREAKER_CONFIG) != TG_OK) return 0;
  uint64_t restored_at = ticks - boot;
  if (tg_breaker_restore(&rebooted, flash, sizeof flash, restored_at) != TG_OK) return 0;
  uint32_t refusals = 0;
  for (;;) {
    uint64_t now = ticks - boot;
    tg_breaker_decision_t d;
    tg_status_t s = tg_breaker_acquire(&rebooted, now, &d);
    if (s == TG_REFUSED) {
      if (!d.has_retry_at || d.retry_at != restored_at + left) return 0;
      refusals++;
      continue;
    }
    if (s != TG_OK || now < restored_at + left) return 0;
    put("reboot: snapshot with ");
    put_u32((uint32_t)left);
    put(" open ticks left, restored at uptime ");
    put_u32((uint32_t)restored_at);
    put(", refused ");
    put_u32(refusals);
    put(" times, first admitted at uptime ");
    put_u32((uint32_t)now);
    put("\n");
    return refusals > 0 && d.transition.to == TG_STATE_HALF_OPEN;
  }
}

enum { RUN_TICKS = 400, CORE_HZ = 25000000, TICK_HZ = 1000 };

int main(void) {
  if (tg_tick_extender_init(&clock64, START) != TG_OK) return 1;
  if (tg_breaker_init(&breaker, &BREAKER_CONFIG) != TG_OK) return 1;
  if (tg_bucket_init(&bucket, &LIMIT) != TG_OK) return 1;
  if (tg_fixed_window_init(&log_limit, &LOG_LIMIT) != TG_OK) return 1;

  volatile uint32_t *const syst = (volatile uint32_t *)0xE000E010u;
  syst[1] = CORE_HZ / TICK_HZ - 1; /* reload */
  syst[2] = 0;                     /* current */
  syst[0] = 7;                     /* enable, interrupt, core clock */

  put("tickguard C firmware: SysTick 1000 Hz, running 400 ticks\n");
  uint64_t last = 0;
  uint32_t main_grants = 0, refused = 0, calls = 0, opened = 0, closed = 0;
  while (last < RUN_TICKS) {
    uint64_t now = tick64(ticks);
    if (now == last) continue;
    last = now;
    if (tg_bucket_acquire(&bucket, 1, now, 0) != TG_OK) {
      refused++;
      continue;
    }
    main_grants++;
    tg_breaker_decision_t d;
    tg_status_t s = tg_breaker_acquire(&breaker, now, &d);
    report(now, &d.transition, &opened, &closed);
    if (s != TG_OK) {
      log_line(0, now); /* "peripheral call refused" */
      continue;
    }
    calls++;
    tg_record_t r;
    tg_outcome_t outcome = flaky_peripheral(now) ? TG_OUTCOME_SUCCESS : TG_OUTCOME_FAILURE;
    if (tg_breaker_record(&breaker, d.permit, outcome, now, &r) != TG_OK) return 1;
    report(now, &r.transition, &opened, &closed);
  }
  uint64_t end = tick64(ticks);
  uint32_t granted = main_grants + isr_grants, bound = 4 + (uint32_t)(end / 5);
  tg_state_t final_state = TG_STATE_FORCED_OPEN;
  tg_breaker_state(&breaker, end, &final_state);
  put("bucket granted ");
  put_u32(granted);
  put(" (SysTick ");
  put_u32(isr_grants);
  put(") of at most ");
  put_u32(bound);
  put(", peripheral calls ");
  put_u32(calls);
  put(", breaker opened ");
  put_u32(opened);
  put(" closed ");
  put_u32(closed);
  put("\n");
  put("32-bit counter wrapped: ");
  put(ticks < START ? "yes" : "no");
  put("\n");
  uint32_t tail = 0;
  tg_fixed_window_take_missed(&log_limit, &tail);
  uint32_t written = log_written[0] + log_written[1], suppressed = log_suppressed[0] + log_suppressed[1];
  uint32_t reported = log_reported[0] + log_reported[1] + tail, windows = (uint32_t)(end / 50) + 1;
  put("log guard: ");
  put_u32(written);
  put(" lines written (SysTick ");
  put_u32(log_written[1]);
  put(") of at most ");
  put_u32(3 * windows);
  put(", ");
  put_u32(suppressed);
  put(" suppressed, ");
  put_u32(reported);
  put(" reported suppressed\n");
  int ok = granted <= bound && isr_grants > 0 && opened > 0 && closed > 0 &&
           final_state == TG_STATE_CLOSED && isr_saw_open && ticks < START;
  ok = ok && written <= 3 * windows && log_written[1] > 0 && suppressed > 0 && reported == suppressed;
  ok = survives_a_reboot() && ok;
#ifdef TICKGUARD_C_CRITICAL_SECTION
  put("critical sections supplied by the program: ");
  put_u32(sections_entered);
  put("\n");
  ok = ok && sections_entered > 0;
#endif
  put(ok ? "C firmware checks passed\n" : "C firmware checks FAILED\n");
  return ok ? 0 : 1;
}
