/* abi_test.c: every exported function and every status code of the C ABI. */
#include <stdio.h>
#include <string.h>
#include <threads.h>

#include "tickguard.h"

static unsigned passed, failed;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (cond) {                                                        \
      passed++;                                                        \
    } else {                                                           \
      failed++;                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                  \
  } while (0)

static const tg_breaker_config_t BREAKER_CONFIG = {
    .failure_threshold = 2,
    .open_ticks = 100,
    .half_open_permits = 1,
    .success_threshold = 1,
    .half_open_timeout_ticks = 50,
};

static void test_status_strings(void) {
  const tg_status_t codes[] = {TG_OK,
                               TG_REFUSED,
                               TG_NOT_FOUND,
                               TG_TABLE_FULL,
                               TG_E_NULL,
                               TG_E_UNINITIALIZED,
                               TG_E_INVALID_ARGUMENT,
                               TG_E_EXCEEDS_CAPACITY,
                               TG_E_MISALIGNED,
                               TG_E_MOVED,
                               TG_E_ALREADY_INITIALIZED,
                               TG_E_CONFIG_DURATION_TOO_LONG,
                               TG_E_CONFIG_FAILURE_THRESHOLD,
                               TG_E_CONFIG_FAILURE_RATE,
                               TG_E_CONFIG_RATE_WINDOW,
                               TG_E_CONFIG_MINIMUM_CALLS,
                               TG_E_CONFIG_CLOSED_INTERVAL,
                               TG_E_CONFIG_MAX_OPEN,
                               TG_E_CONFIG_HALF_OPEN_PERMITS,
                               TG_E_CONFIG_SUCCESS_THRESHOLD,
                               TG_E_CONFIG_ZERO_CAPACITY,
                               TG_E_CONFIG_ZERO_REFILL,
                               TG_E_CONFIG_INITIAL_FILL,
                               TG_E_CONFIG_MAX_ATTEMPTS,
                               TG_E_CONFIG_MULTIPLIER,
                               TG_E_CONFIG_JITTER,
                               TG_E_CONFIG_TOKEN_RATIO,
                               TG_E_CONFIG_OPEN_TICKS,
                               TG_E_CONFIG_HALF_OPEN_TIMEOUT,
                               TG_E_CONFIG_PERIOD,
                               TG_E_CONFIG_BACKOFF,
                               TG_E_CONFIG_BASE_TICKS,
                               TG_E_CONFIG_STEP_TICKS,
                               TG_E_CONFIG_JITTER_KIND,
                               TG_E_CONFIG_JITTER_TICKS,
                               TG_E_CONFIG_MAX_DELAY,
                               TG_E_CONFIG_DEADLINE,
                               TG_E_CONFIG_MAX_TOKENS,
                               TG_E_SNAPSHOT_BUFFER,
                               TG_E_SNAPSHOT_TRUNCATED,
                               TG_E_SNAPSHOT_CORRUPT,
                               TG_E_SNAPSHOT_VERSION,
                               TG_E_SNAPSHOT_KIND,
                               TG_E_SNAPSHOT_CONFIG,
                               TG_E_CONFIG_INTERVAL,
                               TG_E_CONFIG_MAX_WAIT,
                               TG_E_CONFIG_LIMIT,
                               TG_E_CONFIG_WINDOW,
                               TG_E_CONFIG_MAX_CONCURRENT,
                               TG_E_NOT_HELD};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    const char *s = tg_status_str(codes[i]);
    CHECK(s != NULL && strcmp(s, "unknown status") != 0);
  }
  CHECK(strcmp(tg_status_str(12345), "unknown status") == 0);
  CHECK(strcmp(tg_status_str(TG_OK), "ok") == 0);
}

/* Names of every enum a program logs, and "unknown" for other values. */
static void test_names(void) {
  const char *states[] = {"closed", "open", "half-open", "forced-open", "disabled"};
  for (tg_state_t s = TG_STATE_CLOSED; s <= TG_STATE_DISABLED; s++) CHECK(strcmp(tg_state_str(s), states[s]) == 0);
  CHECK(strcmp(tg_state_str(TG_STATE_DISABLED + 1), "unknown state") == 0);
  CHECK(strcmp(tg_give_up_str(TG_GIVE_UP_NONE), "none") == 0);
  CHECK(strcmp(tg_give_up_str(TG_GIVE_UP_DEADLINE), "deadline") == 0);
  for (tg_give_up_t why = TG_GIVE_UP_ATTEMPTS_EXHAUSTED; why <= TG_GIVE_UP_REFUSED_INDEFINITELY; why++)
    CHECK(strncmp(tg_give_up_str(why), "unknown", 7) != 0);
  CHECK(strcmp(tg_give_up_str(TG_GIVE_UP_REFUSED_INDEFINITELY + 1), "unknown reason") == 0);
  for (tg_error_kind_t k = 0; k < TG_ERROR_KINDS; k++) CHECK(strncmp(tg_error_kind_str(k), "unknown", 7) != 0);
  CHECK(strcmp(tg_error_kind_str(TG_ERROR_OUT_OF_DISK), "out of disk") == 0);
  CHECK(strcmp(tg_error_kind_str(TG_ERROR_KINDS), "unknown error kind") == 0);
  CHECK(strcmp(tg_error_class_str(TG_ERROR_CLASS_NETWORK), "network") == 0);
  CHECK(strcmp(tg_error_class_str(TG_ERROR_CLASS_SYSTEM + 1), "unknown error class") == 0);
}

static void test_ticks(void) {
  _Static_assert(TG_MAX_DURATION_TICKS == (1ull << 62), "the horizon is 2^62 ticks");
  _Static_assert(TG_BREAKER_MAX_HALF_OPEN_PERMITS == 16, "16 half-open permits at most");
  uint64_t t = 7;
  CHECK(tg_ticks_from_millis(1500, 1000, &t) == TG_OK && t == 1500);
  CHECK(tg_ticks_from_micros(1500, 1000, &t) == TG_OK && t == 2);
  t = 7;
  CHECK(tg_ticks_from_millis(1, 0, &t) == TG_E_INVALID_ARGUMENT && t == 7);
  CHECK(tg_ticks_from_micros(1, 0, &t) == TG_E_INVALID_ARGUMENT && t == 7);
  CHECK(tg_ticks_from_millis(UINT64_MAX, 1000000, &t) == TG_E_CONFIG_DURATION_TOO_LONG && t == 7);
  /* 100 years of milliseconds on a 1 GHz counter. */
  CHECK(tg_ticks_from_millis(3153600000000ull, 1000000000ull, &t) == TG_OK &&
        t == 3153600000000000000ull);
  CHECK(tg_ticks_from_millis(1, 1000, NULL) == TG_E_NULL);
  CHECK(tg_ticks_from_micros(1, 1000, NULL) == TG_E_NULL);
}

static void test_breaker_config(void) {
  tg_breaker_config_t c;
  CHECK(tg_breaker_config_default(&c) == TG_OK);
  CHECK(c.failure_threshold == TG_BREAKER_DEFAULT_FAILURE_THRESHOLD);
  CHECK(c.open_ticks == TG_BREAKER_DEFAULT_OPEN_TICKS);
  CHECK(c.half_open_permits == TG_BREAKER_DEFAULT_HALF_OPEN_PERMITS);
  CHECK(c.success_threshold == TG_BREAKER_DEFAULT_SUCCESS_THRESHOLD);
  CHECK(c.half_open_timeout_ticks == TG_BREAKER_DEFAULT_HALF_OPEN_TIMEOUT_TICKS);
  CHECK(tg_breaker_config_default(NULL) == TG_E_NULL);
  CHECK(tg_breaker_config_check(&c) == TG_OK);
  CHECK(tg_breaker_config_check(NULL) == TG_E_NULL);

  tg_breaker_config_t bad = c;
  bad.failure_threshold = 0;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_FAILURE_THRESHOLD);
  /* The failure-rate fields: 0 is off (the default); with a rate, the
     window has no sound zero and the consecutive rule may be off. */
  CHECK(c.failure_rate_per_mille == 0 && c.rate_window == 0 && c.minimum_calls == 0);
  bad.failure_rate_per_mille = 500;
  bad.rate_window = TG_BREAKER_MAX_RATE_WINDOW;
  CHECK(tg_breaker_config_check(&bad) == TG_OK);
  bad.failure_rate_per_mille = 1001;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_FAILURE_RATE);
  bad.failure_rate_per_mille = 500;
  bad.rate_window = TG_BREAKER_MAX_RATE_WINDOW + 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_RATE_WINDOW);
  bad.rate_window = 0;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_RATE_WINDOW);
  bad.rate_window = 10;
  bad.minimum_calls = 11;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_MINIMUM_CALLS);
  bad = c;
  bad.rate_window = 10; /* a window without a rate */
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_RATE_WINDOW);
  /* The closed interval: 0 (the default) never clears. */
  CHECK(c.closed_interval_ticks == 0);
  bad = c;
  bad.closed_interval_ticks = 1ull << 62;
  CHECK(tg_breaker_config_check(&bad) == TG_OK);
  bad.closed_interval_ticks = (1ull << 62) + 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_CLOSED_INTERVAL);
  /* Growing open periods: 0 (the default) never grows or spreads them. */
  CHECK(c.open_multiplier_milli == 0 && c.open_jitter_per_mille == 0 && c.max_open_ticks == 0);
  bad = c;
  bad.open_multiplier_milli = 999;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_MULTIPLIER);
  bad.open_multiplier_milli = TG_BREAKER_MAX_OPEN_MULTIPLIER_MILLI + 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_MULTIPLIER);
  bad.open_multiplier_milli = TG_BREAKER_MAX_OPEN_MULTIPLIER_MILLI;
  bad.max_open_ticks = c.open_ticks - 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_MAX_OPEN);
  bad.max_open_ticks = c.open_ticks;
  CHECK(tg_breaker_config_check(&bad) == TG_OK);
  bad.open_jitter_per_mille = 1001;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_JITTER);
  bad = c;
  bad.half_open_permits = 17;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_HALF_OPEN_PERMITS);
  bad = c;
  bad.success_threshold = 4;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_SUCCESS_THRESHOLD);
  bad = c;
  bad.open_ticks = (1ull << 62) + 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_OPEN_TICKS);
  bad = c;
  bad.half_open_timeout_ticks = (1ull << 62) + 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_HALF_OPEN_TIMEOUT);

  /* A failed init leaves the object uninitialised. */
  tg_breaker_t b = {{0}};
  bad.half_open_timeout_ticks = 0;
  CHECK(tg_breaker_init(&b, &bad) == TG_E_CONFIG_HALF_OPEN_TIMEOUT);
  tg_breaker_decision_t d;
  CHECK(tg_breaker_acquire(&b, 0, &d) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_init(NULL, &c) == TG_E_NULL);
  CHECK(tg_breaker_init(&b, NULL) == TG_E_NULL);
  CHECK(tg_breaker_init_ex(&b, &c, 4) == TG_E_INVALID_ARGUMENT);
}

static void test_breaker_uninitialised_and_null(void) {
  static tg_breaker_t zeroed; /* static storage is zeroed: not initialised */
  tg_breaker_decision_t d;
  tg_state_t s;
  tg_transition_t t;
  uint64_t until;
  const tg_permit_t made_up = {.acquired_at = 0, .token = 0x80000000u};
  CHECK(tg_breaker_acquire(&zeroed, 0, &d) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_record(&zeroed, made_up, TG_OUTCOME_SUCCESS, 0, NULL) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_state(&zeroed, 0, &s) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_force_open(&zeroed, &t) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_disable(&zeroed, &t) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_reset(&zeroed, &t) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_open_for(&zeroed, 1, 0, &until, &t) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_acquire(NULL, 0, &d) == TG_E_NULL);
  CHECK(tg_breaker_record(NULL, made_up, TG_OUTCOME_SUCCESS, 0, NULL) == TG_E_NULL);
  CHECK(tg_breaker_deinit(&zeroed) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_deinit(NULL) == TG_E_NULL);
  CHECK(tg_breaker_state(NULL, 0, &s) == TG_E_NULL);
  CHECK(tg_breaker_force_open(NULL, &t) == TG_E_NULL);
  CHECK(tg_breaker_disable(NULL, &t) == TG_E_NULL);
  CHECK(tg_breaker_reset(NULL, &t) == TG_E_NULL);
  CHECK(tg_breaker_open_for(NULL, 1, 0, &until, &t) == TG_E_NULL);
  /* A bucket is not a breaker. */
  tg_bucket_t bucket = {{0}};
  const tg_bucket_config_t bc = {.capacity = 1, .tokens = 1, .period_ticks = 1, .initial_fill = 1};
  CHECK(tg_bucket_init(&bucket, &bc) == TG_OK);
  CHECK(tg_breaker_acquire((tg_breaker_t *)(void *)&bucket, 0, &d) == TG_E_UNINITIALIZED);
}

/* The count-based failure rate: gobreaker's ratio rule (at least 3 calls,
   60 % failing) trips on fail, succeed, fail; the window empties when the
   breaker closes again, and late permits never count in it. */
static void test_breaker_failure_rate(void) {
  const tg_breaker_config_t config = {
      .open_ticks = 100,
      .half_open_permits = 1,
      .success_threshold = 1,
      .half_open_timeout_ticks = 50,
      .failure_rate_per_mille = 600,
      .rate_window = 3,
      .minimum_calls = 3,
  };
  tg_breaker_t b = {{0}};
  CHECK(tg_breaker_init(&b, &config) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  tg_breaker_window_counts_t counts;
  const tg_outcome_t outcomes[] = {TG_OUTCOME_FAILURE, TG_OUTCOME_SUCCESS, TG_OUTCOME_FAILURE};
  tg_permit_t late = {0};
  for (unsigned i = 0; i < 3; i++) {
    CHECK(tg_breaker_acquire(&b, 10 + i, &d) == TG_OK);
    if (i == 0) {
      tg_breaker_decision_t extra;
      CHECK(tg_breaker_acquire(&b, 10, &extra) == TG_OK);
      late = extra.permit;
    }
    CHECK(tg_breaker_record(&b, d.permit, outcomes[i], 10 + i, &r) == TG_OK && r.counted);
    CHECK(r.transition.changed == (i == 2));
    if (i == 1) {
      CHECK(tg_breaker_window_counts(&b, &counts) == TG_OK && counts.calls == 2 && counts.failures == 1);
    }
  }
  CHECK(r.transition.from == TG_STATE_CLOSED && r.transition.to == TG_STATE_OPEN);
  CHECK(tg_breaker_window_counts(&b, &counts) == TG_OK && counts.calls == 0); /* OPEN */
  /* Why it opened, and when it admits a trial (the trip at 12, open 100). */
  tg_breaker_status_t status;
  CHECK(tg_breaker_status(&b, 50, &status) == TG_OK && status.state == TG_STATE_OPEN);
  CHECK(status.tripped_by == TG_TRIP_FAILURE_RATE && status.has_trial_at && status.trial_at == 112);
  CHECK(strcmp(tg_trip_reason_str(status.tripped_by), "failure rate") == 0);
  CHECK(strcmp(tg_trip_reason_str(TG_TRIP_NONE), "none") == 0);
  CHECK(tg_breaker_status(&b, 50, NULL) == TG_E_NULL);
  CHECK(tg_breaker_acquire(&b, 112, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 113, &r) == TG_OK);
  CHECK(r.transition.changed && r.transition.to == TG_STATE_CLOSED);
  CHECK(tg_breaker_record(&b, late, TG_OUTCOME_FAILURE, 114, &r) == TG_OK && !r.counted);
  CHECK(tg_breaker_window_counts(&b, &counts) == TG_OK && counts.calls == 0 && counts.failures == 0);
  CHECK(tg_breaker_status(&b, 114, &status) == TG_OK && status.state == TG_STATE_CLOSED);
  CHECK(status.tripped_by == TG_TRIP_NONE && !status.has_trial_at);
  CHECK(tg_breaker_window_counts(&b, NULL) == TG_E_NULL);
  CHECK(tg_breaker_window_counts(NULL, &counts) == TG_E_NULL);
}

/* The closed-state interval (gobreaker's Interval): CLOSED clears its
   counts every 100 ticks, so two failures trip only inside one interval;
   a call admitted before a clearing is not counted after it. */
static void test_breaker_closed_interval(void) {
  const tg_breaker_config_t config = {
      .failure_threshold = 2,
      .open_ticks = 100,
      .half_open_permits = 1,
      .success_threshold = 1,
      .half_open_timeout_ticks = 50,
      .closed_interval_ticks = 100,
  };
  tg_breaker_t b = {{0}};
  CHECK(tg_breaker_init(&b, &config) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  /* The first call starts an interval: [1000, 1100). */
  CHECK(tg_breaker_acquire(&b, 1000, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 1000, &r) == TG_OK && r.counted);
  CHECK(tg_breaker_acquire(&b, 1099, &d) == TG_OK);
  const tg_permit_t before = d.permit;
  /* Reported at the end: the counts clear first, this outcome is late. */
  CHECK(tg_breaker_record(&b, before, TG_OUTCOME_FAILURE, 1100, &r) == TG_OK);
  CHECK(!r.counted && !r.transition.changed);
  CHECK(tg_breaker_acquire(&b, 1150, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 1150, &r) == TG_OK && r.counted);
  CHECK(!r.transition.changed); /* the first failure of [1100, 1200) */
  CHECK(tg_breaker_acquire(&b, 1199, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 1199, &r) == TG_OK);
  CHECK(r.transition.changed && r.transition.to == TG_STATE_OPEN);
  tg_breaker_counts_t counts;
  CHECK(tg_breaker_counts(&b, &counts) == TG_OK);
  CHECK(counts.failures == 3 && counts.dropped == 1); /* counters never clear */
}

/* Open periods that double with each failed trial up to a cap, and a
   jitter drawn from the caller's seed. */
static void test_breaker_growing_open(void) {
  const tg_breaker_config_t config = {
      .failure_threshold = 1,
      .open_ticks = 100,
      .half_open_permits = 1,
      .success_threshold = 1,
      .half_open_timeout_ticks = 50,
      .open_multiplier_milli = 2000,
      .max_open_ticks = 1000,
  };
  tg_breaker_t b = {{0}};
  CHECK(tg_breaker_init(&b, &config) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  CHECK(tg_breaker_acquire(&b, 0, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 0, &r) == TG_OK);
  uint64_t at = 100;
  const uint64_t periods[] = {200, 400, 800, 1000, 1000};
  for (unsigned i = 0; i < 5; i++) {
    CHECK(tg_breaker_acquire(&b, at, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);
    CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, at, &r) == TG_OK);
    CHECK(r.transition.changed && r.transition.to == TG_STATE_OPEN);
    tg_breaker_status_t status;
    CHECK(tg_breaker_status(&b, at, &status) == TG_OK && status.has_trial_at);
    CHECK(status.tripped_by == TG_TRIP_TRIAL_FAILED && status.trial_at == at + periods[i]);
    at += periods[i];
  }
  /* A successful trial closes; the next trip opens for open_ticks again. */
  CHECK(tg_breaker_acquire(&b, at, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, at, &r) == TG_OK);
  CHECK(r.transition.to == TG_STATE_CLOSED);
  CHECK(tg_breaker_acquire(&b, at + 1, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, at + 1, &r) == TG_OK);
  CHECK(tg_breaker_acquire(&b, at + 100, &d) == TG_REFUSED && d.retry_at == at + 101);

  /* ±20 % jitter: two devices with different seeds trip at the same tick
     and open for periods within 80 .. 120 that differ for most seeds. */
  unsigned distinct = 0;
  uint64_t first = 0;
  for (uint64_t seed = 1; seed <= 32; seed++) {
    tg_breaker_config_t spread = config;
    spread.open_multiplier_milli = 0;
    spread.open_jitter_per_mille = 200;
    spread.jitter_seed = seed * 0x9E3779B97F4A7C15ull;
    tg_breaker_t device = {{0}};
    CHECK(tg_breaker_init(&device, &spread) == TG_OK);
    CHECK(tg_breaker_acquire(&device, 5000, &d) == TG_OK);
    CHECK(tg_breaker_record(&device, d.permit, TG_OUTCOME_FAILURE, 5000, &r) == TG_OK);
    CHECK(tg_breaker_acquire(&device, 5000, &d) == TG_REFUSED && d.has_retry_at);
    const uint64_t period = d.retry_at - 5000;
    CHECK(period >= 80 && period <= 120);
    if (seed == 1) first = period;
    distinct += period != first;
  }
  CHECK(distinct > 16);
}

/* gobreaker's ReadyToTrip in C: at least `min_calls` (the context) calls
   in the window, 60 % of them failing. */
static bool ratio_rule(uint32_t run, uint32_t calls, uint32_t failures, uintptr_t context) {
  (void)run;
  return calls >= (uint32_t)context && failures * 10 >= calls * 6;
}

/* Counts its calls through the context, and trips on 2 in a row. */
static bool counting_rule(uint32_t run, uint32_t calls, uint32_t failures, uintptr_t context) {
  (void)calls;
  (void)failures;
  *(unsigned *)context += 1;
  return run >= 2;
}

/* A trip rule of the caller's, judged on each report through
   tg_breaker_record_rule: gobreaker's ratio example trips on fail, succeed,
   fail; with external_trip_rule the rule may be the only one. */
static void test_breaker_trip_rule(void) {
  tg_breaker_config_t config = {
      .open_ticks = 100,
      .half_open_permits = 1,
      .success_threshold = 1,
      .half_open_timeout_ticks = 50,
      .failure_rate_per_mille = 1000, /* a window of 10 (its own rule: all failing) */
      .rate_window = 10,
  };
  tg_breaker_t b = {{0}};
  CHECK(tg_breaker_init(&b, &config) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  const tg_outcome_t outcomes[] = {TG_OUTCOME_FAILURE, TG_OUTCOME_SUCCESS, TG_OUTCOME_FAILURE};
  for (unsigned i = 0; i < 3; i++) {
    CHECK(tg_breaker_acquire(&b, 10 + i, &d) == TG_OK);
    CHECK(tg_breaker_record_rule(&b, d.permit, outcomes[i], 10 + i, ratio_rule, 3, &r) == TG_OK);
    CHECK(r.counted && r.transition.changed == (i == 2));
  }
  tg_breaker_status_t status;
  CHECK(tg_breaker_status(&b, 20, &status) == TG_OK && status.state == TG_STATE_OPEN);
  CHECK(status.tripped_by == TG_TRIP_CUSTOM_RULE);
  CHECK(strcmp(tg_trip_reason_str(TG_TRIP_CUSTOM_RULE), "custom rule") == 0);

  /* The rule alone: without external_trip_rule nothing would open it. */
  tg_breaker_config_t alone = {
      .open_ticks = 100,
      .half_open_permits = 1,
      .success_threshold = 1,
      .half_open_timeout_ticks = 50,
  };
  CHECK(tg_breaker_config_check(&alone) == TG_E_CONFIG_FAILURE_THRESHOLD);
  alone.external_trip_rule = 1;
  CHECK(tg_breaker_config_check(&alone) == TG_OK);
  tg_breaker_t c = {{0}};
  CHECK(tg_breaker_init(&c, &alone) == TG_OK);
  unsigned judged = 0;
  for (unsigned i = 0; i < 2; i++) {
    CHECK(tg_breaker_acquire(&c, i, &d) == TG_OK);
    CHECK(tg_breaker_record_rule(&c, d.permit, TG_OUTCOME_FAILURE, i, counting_rule,
                                 (uintptr_t)&judged, &r) == TG_OK);
    CHECK(r.transition.changed == (i == 1));
  }
  CHECK(judged == 2); /* judged once per failure (no contention here) */
  /* Successes are not judged; a NULL rule judges nothing. */
  CHECK(tg_breaker_acquire(&c, 200, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_record_rule(&c, d.permit, TG_OUTCOME_SUCCESS, 200, counting_rule,
                               (uintptr_t)&judged, &r) == TG_OK);
  CHECK(judged == 2 && r.transition.to == TG_STATE_CLOSED);
  CHECK(tg_breaker_acquire(&c, 201, &d) == TG_OK);
  CHECK(tg_breaker_record_rule(&c, d.permit, TG_OUTCOME_FAILURE, 201, NULL, 0, &r) == TG_OK);
  CHECK(r.counted && !r.transition.changed);
  CHECK(tg_breaker_record_rule(NULL, d.permit, TG_OUTCOME_FAILURE, 201, NULL, 0, &r) == TG_E_NULL);
}

/* Resilience4j's half-open rule: 4 trials, the period decided once all are
   reported; 2 failing of 4 (50 %) reopens, 1 closes. */
static void test_breaker_half_open_rate(void) {
  tg_breaker_config_t config = {
      .failure_threshold = 1,
      .open_ticks = 100,
      .half_open_permits = 4,
      .success_threshold = 1,
      .half_open_timeout_ticks = 1000,
      .half_open_failure_rate_per_mille = 500,
  };
  tg_breaker_config_t bad = config;
  bad.half_open_failure_rate_per_mille = 1001;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_FAILURE_RATE);
  for (unsigned failing = 1; failing <= 2; failing++) {
    tg_breaker_t b = {{0}};
    CHECK(tg_breaker_init(&b, &config) == TG_OK);
    tg_breaker_decision_t d;
    tg_record_t r;
    CHECK(tg_breaker_acquire(&b, 0, &d) == TG_OK);
    CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 0, &r) == TG_OK && r.transition.changed);
    tg_permit_t trials[4];
    for (unsigned i = 0; i < 4; i++) {
      CHECK(tg_breaker_acquire(&b, 100, &d) == TG_OK);
      trials[i] = d.permit;
    }
    CHECK(tg_breaker_acquire(&b, 100, &d) == TG_REFUSED);
    for (unsigned i = 0; i < 4; i++) {
      const tg_outcome_t outcome = i < failing ? TG_OUTCOME_FAILURE : TG_OUTCOME_SUCCESS;
      CHECK(tg_breaker_record(&b, trials[i], outcome, 101, &r) == TG_OK && r.counted);
      CHECK(r.transition.changed == (i == 3));
    }
    CHECK(r.transition.to == (failing == 2 ? TG_STATE_OPEN : TG_STATE_CLOSED));
  }
}

/* Slow calls: a permit carries its admission tick; a report more than
   slow_call_ticks later is slow, counted, and judged by the slow-call rate
   over the window; a slow trial fails its trial period; a report that
   lags its admission is not slow. */
static void test_breaker_slow_calls(void) {
  tg_breaker_config_t config = {
      .failure_threshold = 0, /* the slow-call rate alone */
      .open_ticks = 1000,
      .half_open_permits = 1,
      .success_threshold = 1,
      .half_open_timeout_ticks = 500,
      .rate_window = 4,
      .minimum_calls = 2,
      .slow_call_ticks = 100,
      .slow_call_rate_per_mille = 500,
  };
  CHECK(tg_breaker_config_check(&config) == TG_OK);
  tg_breaker_config_t bad = config;
  bad.slow_call_ticks = 0;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_LATENCY);
  bad = config;
  bad.slow_call_rate_per_mille = 1001;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_FAILURE_RATE);
  bad = config;
  bad.rate_window = TG_BREAKER_MAX_SLOW_RATE_WINDOW;
  CHECK(tg_breaker_config_check(&bad) == TG_OK);
  bad.rate_window = TG_BREAKER_MAX_SLOW_RATE_WINDOW + 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_RATE_WINDOW);

  tg_breaker_t b = {{0}};
  CHECK(tg_breaker_init(&b, &config) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  tg_breaker_window_counts_t window;
  tg_breaker_counts_t counts;
  /* Admitted at 1000, reported at 1100: exactly 100 ticks, not slow. */
  CHECK(tg_breaker_acquire(&b, 1000, &d) == TG_OK && d.permit.acquired_at == 1000);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 1100, &r) == TG_OK && r.counted);
  /* Reported with a clock behind the admission's: 0 ticks, not slow. */
  CHECK(tg_breaker_acquire(&b, 2000, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 1500, &r) == TG_OK && !r.transition.changed);
  CHECK(tg_breaker_window_counts(&b, &window) == TG_OK && window.calls == 2 && window.slow == 0);
  /* A slow success: 1 of 3 slow, then a slow failure: 2 of 4 opens. */
  CHECK(tg_breaker_acquire(&b, 2000, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 2101, &r) == TG_OK && !r.transition.changed);
  CHECK(tg_breaker_window_counts(&b, &window) == TG_OK && window.calls == 3 && window.slow == 1 &&
        window.failures == 0);
  CHECK(tg_breaker_acquire(&b, 2000, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 2200, &r) == TG_OK);
  CHECK(r.transition.changed && r.transition.to == TG_STATE_OPEN);
  tg_breaker_status_t status;
  CHECK(tg_breaker_status(&b, 2201, &status) == TG_OK && status.tripped_by == TG_TRIP_SLOW_CALL_RATE);
  CHECK(status.has_trial_at && status.trial_at == 3200);
  CHECK(strcmp(tg_trip_reason_str(TG_TRIP_SLOW_CALL_RATE), "slow-call rate") == 0);
  CHECK(tg_breaker_counts(&b, &counts) == TG_OK && counts.slow == 2 && counts.successes == 3 &&
        counts.failures == 1);
  /* A slow trial fails its period; a fast one closes. */
  CHECK(tg_breaker_acquire(&b, 3200, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 3400, &r) == TG_OK && r.counted);
  CHECK(r.transition.changed && r.transition.to == TG_STATE_OPEN);
  CHECK(tg_breaker_status(&b, 3400, &status) == TG_OK && status.tripped_by == TG_TRIP_TRIAL_FAILED);
  CHECK(tg_breaker_acquire(&b, 4400, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 4410, &r) == TG_OK);
  CHECK(r.transition.changed && r.transition.to == TG_STATE_CLOSED);
  CHECK(tg_breaker_counts(&b, &counts) == TG_OK && counts.slow == 3);
}

/* A time-based window: the failure rate over the last 400 ticks, in 4
   buckets of 100 that roll as the breaker's clock moves; misconfigured
   durations are refused by name. */
static void test_breaker_time_window(void) {
  tg_breaker_config_t config = {
      .failure_threshold = 0,
      .open_ticks = 1000,
      .half_open_permits = 1,
      .success_threshold = 1,
      .half_open_timeout_ticks = 500,
      .failure_rate_per_mille = 500,
      .minimum_calls = 4,
      .rate_duration_ticks = 400,
  };
  CHECK(tg_breaker_config_check(&config) == TG_OK);
  tg_breaker_config_t bad = config;
  bad.rate_window = 10; /* one window or the other */
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_RATE_WINDOW);
  bad = config;
  bad.failure_rate_per_mille = 0; /* a window without a rate */
  bad.failure_threshold = 3;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_RATE_DURATION);
  bad = config;
  bad.rate_duration_ticks = (1ull << 62) + 1;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_RATE_DURATION);
  bad = config;
  bad.minimum_calls = 128;
  CHECK(tg_breaker_config_check(&bad) == TG_E_CONFIG_MINIMUM_CALLS);
  CHECK(strcmp(tg_status_str(TG_E_CONFIG_RATE_DURATION), "unknown status") != 0);

  tg_breaker_t b = {{0}};
  CHECK(tg_breaker_init(&b, &config) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  tg_breaker_window_counts_t window;
  const uint64_t ticks[] = {10, 20, 150};
  const tg_outcome_t outcomes[] = {TG_OUTCOME_FAILURE, TG_OUTCOME_FAILURE, TG_OUTCOME_SUCCESS};
  for (unsigned i = 0; i < 3; i++) {
    CHECK(tg_breaker_acquire(&b, ticks[i], &d) == TG_OK);
    CHECK(tg_breaker_record(&b, d.permit, outcomes[i], ticks[i], &r) == TG_OK && !r.transition.changed);
  }
  CHECK(tg_breaker_window_counts(&b, &window) == TG_OK && window.calls == 3 && window.failures == 2);
  /* At 400 the first bucket (0 .. 99) has left: 0 failures of 2. */
  CHECK(tg_breaker_acquire(&b, 400, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 400, &r) == TG_OK && !r.transition.changed);
  CHECK(tg_breaker_window_counts(&b, &window) == TG_OK && window.calls == 2 && window.failures == 0);
  /* Two more failures: 2 of 4 open it (TG_TRIP_FAILURE_RATE). */
  CHECK(tg_breaker_acquire(&b, 450, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 450, &r) == TG_OK && !r.transition.changed);
  CHECK(tg_breaker_acquire(&b, 460, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 460, &r) == TG_OK);
  CHECK(r.transition.changed && r.transition.to == TG_STATE_OPEN);
  tg_breaker_status_t status;
  CHECK(tg_breaker_status(&b, 461, &status) == TG_OK && status.tripped_by == TG_TRIP_FAILURE_RATE);
  /* Calls without reports move the window too: after a recovery, idle
     reads see nothing once the buckets have left. */
  CHECK(tg_breaker_acquire(&b, 1460, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 1460, &r) == TG_OK && r.transition.to == TG_STATE_CLOSED);
  CHECK(tg_breaker_acquire(&b, 1470, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 1470, &r) == TG_OK);
  CHECK(tg_breaker_window_counts(&b, &window) == TG_OK && window.calls == 1);
  CHECK(tg_breaker_acquire(&b, 1900, &d) == TG_OK);
  CHECK(tg_breaker_window_counts(&b, &window) == TG_OK && window.calls == 0);
  (void)tg_breaker_record(&b, d.permit, TG_OUTCOME_IGNORED, 1900, NULL);
}

/* The event queue: a breaker's transitions pushed as they happen, drained
   in order; a full queue refuses and counts; misuse is refused by name. */
static void test_events(void) {
  static TG_EVENTS(q, 3);
  const size_t n = TG_EVENTS_LEN(q);
  CHECK(n == 3 && sizeof(tg_event_slot_t) == 16 && _Alignof(tg_event_slot_t) == 16);
  CHECK(sizeof(tg_events_t) == 64 && _Alignof(tg_events_t) == 16);
  tg_event_t e = {.at = 5, .source = 1, .from = TG_STATE_CLOSED, .to = TG_STATE_OPEN};
  CHECK(tg_events_push(&q.queue, q.slots, n, &e) == TG_E_UNINITIALIZED);
  CHECK(tg_events_init(&q.queue, q.slots, 1, TG_INIT_DEFAULT) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_events_init(&q.queue, q.slots, TG_EVENTS_MAX + 1, TG_INIT_DEFAULT) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_events_init(NULL, q.slots, n, TG_INIT_DEFAULT) == TG_E_NULL);
  CHECK(tg_events_init(&q.queue, NULL, n, TG_INIT_DEFAULT) == TG_E_NULL);
  CHECK(tg_events_init(&q.queue, q.slots, n, 99) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_events_init(&q.queue, q.slots, n, TG_INIT_DEFAULT) == TG_OK);
  CHECK(tg_events_init(&q.queue, q.slots, n, TG_INIT_DEFAULT) == TG_E_ALREADY_INITIALIZED);

  /* A breaker that opens on one failure for 10 ticks; its transitions go
     to the queue. */
  tg_breaker_config_t config = BREAKER_CONFIG;
  config.failure_threshold = 1;
  config.open_ticks = 10;
  tg_breaker_t b = {{0}};
  CHECK(tg_breaker_init(&b, &config) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  CHECK(tg_breaker_acquire(&b, 100, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 100, &r) == TG_OK && r.transition.changed);
  e = (tg_event_t){.at = 100, .source = 7, .from = r.transition.from, .to = r.transition.to};
  CHECK(tg_events_push(&q.queue, q.slots, n, &e) == TG_OK);
  CHECK(tg_breaker_acquire(&b, 110, &d) == TG_OK && d.transition.changed);
  e = (tg_event_t){.at = 110, .source = 7, .from = d.transition.from, .to = d.transition.to};
  CHECK(tg_events_push(&q.queue, q.slots, n, &e) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, 111, &r) == TG_OK && r.transition.changed);
  e = (tg_event_t){.at = 111, .source = 7, .from = r.transition.from, .to = r.transition.to};
  CHECK(tg_events_push(&q.queue, q.slots, n, &e) == TG_OK);
  CHECK(tg_events_push(&q.queue, q.slots, n, &e) == TG_REFUSED); /* full */

  tg_event_t out[4];
  CHECK(tg_events_pop(&q.queue, q.slots, n, &out[0]) == TG_OK);
  CHECK(out[0].at == 100 && out[0].source == 7 && out[0].from == TG_STATE_CLOSED && out[0].to == TG_STATE_OPEN);
  size_t count = 99;
  CHECK(tg_events_drain(&q.queue, q.slots, n, out, 4, &count) == TG_OK && count == 2);
  CHECK(out[0].at == 110 && out[0].to == TG_STATE_HALF_OPEN);
  CHECK(out[1].at == 111 && out[1].from == TG_STATE_HALF_OPEN && out[1].to == TG_STATE_CLOSED);
  CHECK(tg_events_pop(&q.queue, q.slots, n, &out[0]) == TG_NOT_FOUND);
  CHECK(tg_events_drain(&q.queue, q.slots, n, NULL, 0, &count) == TG_OK && count == 0);
  uint64_t dropped = 0;
  CHECK(tg_events_take_dropped(&q.queue, &dropped) == TG_OK && dropped == 1);
  CHECK(tg_events_take_dropped(&q.queue, &dropped) == TG_OK && dropped == 0);

  /* Misuse. */
  e.to = 77;
  CHECK(tg_events_push(&q.queue, q.slots, n, &e) == TG_E_INVALID_ARGUMENT);
  e.to = TG_STATE_OPEN;
  CHECK(tg_events_push(&q.queue, q.slots, n - 1, &e) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_events_push(&q.queue, q.slots, n, NULL) == TG_E_NULL);
  CHECK(tg_events_pop(&q.queue, q.slots, n, NULL) == TG_E_NULL);
  CHECK(tg_events_drain(&q.queue, q.slots, n, NULL, 1, &count) == TG_E_NULL);
  CHECK(tg_events_drain(&q.queue, q.slots, n, out, 1, NULL) == TG_E_NULL);
  CHECK(tg_events_take_dropped(&q.queue, NULL) == TG_E_NULL);
  CHECK(tg_events_deinit(&q.queue) == TG_OK);
  CHECK(tg_events_pop(&q.queue, q.slots, n, &out[0]) == TG_E_UNINITIALIZED);
  CHECK(tg_events_deinit(NULL) == TG_E_NULL);
}

static void test_breaker_cycle(void) {
  tg_breaker_t b = {{0}}; /* stack allocation works (zeroed: not live) */
  CHECK(tg_breaker_init(&b, &BREAKER_CONFIG) == TG_OK);
  tg_breaker_decision_t d;
  tg_record_t r;
  tg_state_t s;
  CHECK(tg_breaker_acquire(&b, 0, NULL) == TG_E_NULL);

  /* Two failures far out on the 64-bit tick line open the breaker. */
  uint64_t t0 = (1ull << 62) - 10;
  CHECK(tg_breaker_acquire(&b, t0, &d) == TG_OK && d.permit.token != 0 && !d.transition.changed);
  CHECK(d.permit.acquired_at == t0);
  tg_permit_t stale = d.permit;
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, t0, &r) == TG_OK && r.counted);
  CHECK(tg_breaker_acquire(&b, t0, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, 99, t0, &r) == TG_E_INVALID_ARGUMENT);
  const tg_permit_t zero = {0};
  CHECK(tg_breaker_record(&b, zero, TG_OUTCOME_FAILURE, t0, &r) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, t0, &r) == TG_OK);
  CHECK(r.transition.changed && r.transition.from == TG_STATE_CLOSED &&
        r.transition.to == TG_STATE_OPEN);
  CHECK(tg_breaker_state(&b, t0 + 50, &s) == TG_OK && s == TG_STATE_OPEN);
  CHECK(tg_breaker_state(&b, t0, NULL) == TG_E_NULL);

  /* Refused with the deadline; the out-parameter is written. */
  memset(&d, 0, sizeof d);
  CHECK(tg_breaker_acquire(&b, t0 + 99, &d) == TG_REFUSED);
  CHECK(d.has_retry_at && d.retry_at == t0 + 100 && d.permit.token == 0);

  /* Half-open trial, success closes; the old permit is stale. */
  CHECK(tg_breaker_state(&b, t0 + 100, &s) == TG_OK && s == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_acquire(&b, t0 + 100, &d) == TG_OK);
  CHECK(d.transition.changed && d.transition.to == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_record(&b, stale, TG_OUTCOME_FAILURE, t0 + 101, &r) == TG_OK && !r.counted);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_SUCCESS, t0 + 101, NULL) == TG_OK);
  CHECK(tg_breaker_state(&b, t0 + 102, &s) == TG_OK && s == TG_STATE_CLOSED);

  /* IGNORED counts nothing. */
  const uint64_t t1 = t0 + 200;
  CHECK(tg_breaker_acquire(&b, t1, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_IGNORED, t1, &r) == TG_OK && !r.counted);

  /* Manual controls. */
  tg_transition_t t;
  CHECK(tg_breaker_force_open(&b, &t) == TG_OK && t.changed && t.to == TG_STATE_FORCED_OPEN);
  CHECK(tg_breaker_acquire(&b, t1, &d) == TG_REFUSED && !d.has_retry_at);
  CHECK(tg_breaker_disable(&b, NULL) == TG_OK);
  CHECK(tg_breaker_state(&b, t1, &s) == TG_OK && s == TG_STATE_DISABLED);
  CHECK(tg_breaker_acquire(&b, t1, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, t1, &r) == TG_OK && !r.counted);
  CHECK(tg_breaker_reset(&b, &t) == TG_OK && t.changed && t.from == TG_STATE_DISABLED);
  CHECK(tg_breaker_reset(&b, &t) == TG_OK && !t.changed);

  /* The counters: every decision above once (calls refused for their
     arguments count nowhere). */
  tg_breaker_counts_t counts;
  CHECK(tg_breaker_counts(&b, &counts) == TG_OK);
  CHECK(counts.requests == 5 && counts.refused == 2);
  CHECK(counts.successes == 1 && counts.failures == 2 && counts.ignored == 1 && counts.dropped == 2);
  CHECK(counts.transitions[TG_STATE_CLOSED] == 2 && counts.transitions[TG_STATE_OPEN] == 1);
  CHECK(counts.transitions[TG_STATE_HALF_OPEN] == 1 && counts.transitions[TG_STATE_FORCED_OPEN] == 1);
  CHECK(counts.transitions[TG_STATE_DISABLED] == 1);
  CHECK(tg_breaker_counts(&b, NULL) == TG_E_NULL && tg_breaker_counts(NULL, &counts) == TG_E_NULL);
  uint64_t until = 0;
  CHECK(tg_breaker_open_for(&b, (1ull << 62) + 1, t1, &until, &t) == TG_E_CONFIG_DURATION_TOO_LONG);
  CHECK(until == 0);
  CHECK(tg_breaker_open_for(&b, 30, t1, &until, &t) == TG_OK && until == t1 + 30 && t.changed);
  CHECK(tg_breaker_open_for(&b, 30, t1, NULL, NULL) == TG_OK);
  CHECK(tg_breaker_acquire(&b, t1 + 29, &d) == TG_REFUSED && d.retry_at == t1 + 30);
  CHECK(tg_breaker_acquire(&b, t1 + 30, &d) == TG_OK);
}

/* Two threads reconfiguring one bucket back and forth while a third
 * takes tokens at one tick (nothing refills): each reconfiguration
 * succeeds or is told TG_E_BUSY (another is under way; nothing changed),
 * and the tokens taken never exceed the 8 the bucket started with. */
static tg_bucket_t contended;
static int reconfigure_back_and_forth(void *busy_seen) {
  const tg_bucket_config_t one = {.capacity = 8, .tokens = 1, .period_ticks = 1000};
  const tg_bucket_config_t other = {.capacity = 8, .tokens = 7, .period_ticks = 3000};
  for (int round = 0; round < 20000; round++) {
    tg_status_t status = tg_bucket_reconfigure(&contended, round % 2 ? &one : &other, 0);
    if (status == TG_E_BUSY) {
      ++*(int *)busy_seen;
    } else if (status != TG_OK) {
      return 1;
    }
  }
  return 0;
}
static int take_tokens(void *taken) {
  for (int round = 0; round < 20000; round++) {
    *(int *)taken += tg_bucket_acquire(&contended, 1, 0, NULL) == TG_OK;
  }
  return 0;
}
static void test_bucket_reconfigured_by_threads(void) {
  const tg_bucket_config_t one = {.capacity = 8, .tokens = 1, .period_ticks = 1000};
  CHECK(tg_bucket_init(&contended, &one) == TG_OK);
  int busy[2] = {0, 0}, taken = 0, writer_failed[2] = {0, 0};
  thrd_t writers[2], taker;
  for (int i = 0; i < 2; i++) CHECK(thrd_create(&writers[i], reconfigure_back_and_forth, &busy[i]) == thrd_success);
  CHECK(thrd_create(&taker, take_tokens, &taken) == thrd_success);
  for (int i = 0; i < 2; i++) CHECK(thrd_join(writers[i], &writer_failed[i]) == thrd_success && writer_failed[i] == 0);
  CHECK(thrd_join(taker, NULL) == thrd_success);
  CHECK(taken >= 1 && taken <= 8);
  CHECK(busy[0] + busy[1] < 40000); /* most reconfigurations land */
  CHECK(tg_bucket_deinit(&contended) == TG_OK);
}

/* The same for a keyed table: two threads switch every key's rate between
 * two units while two others take tokens for their own key, all at one
 * tick: no key ever gives more than the 8 it started with (an entry read
 * under a configuration it was not written under would). */
static TG_KEYED_TABLE(contended_keys, 16);
static int reconfigure_keys_back_and_forth(void *busy_seen) {
  const tg_bucket_config_t one = {.capacity = 8, .tokens = 1, .period_ticks = 1000};
  const tg_bucket_config_t other = {.capacity = 8, .tokens = 7, .period_ticks = 3000};
  for (int round = 0; round < 5000; round++) {
    tg_status_t status = tg_keyed_reconfigure(&contended_keys.table, contended_keys.entries,
                                              TG_KEYED_LEN(contended_keys), round % 2 ? &one : &other, 0);
    if (status == TG_E_BUSY) {
      ++*(int *)busy_seen;
    } else if (status != TG_OK) {
      return 1;
    }
  }
  return 0;
}
struct key_taker {
  uint64_t key;
  int taken;
};
static int take_key_tokens(void *arg) {
  struct key_taker *taker = arg;
  for (int round = 0; round < 20000; round++) {
    taker->taken += tg_keyed_acquire_u64(&contended_keys.table, contended_keys.entries, TG_KEYED_LEN(contended_keys),
                                         taker->key, 1, 0, NULL) == TG_OK;
  }
  return 0;
}
static void test_keyed_reconfigured_by_threads(void) {
  const tg_bucket_config_t one = {.capacity = 8, .tokens = 1, .period_ticks = 1000};
  CHECK(tg_keyed_init(&contended_keys.table, contended_keys.entries, TG_KEYED_LEN(contended_keys), &one, 5, 6,
                      TG_INIT_DEFAULT) == TG_OK);
  int busy[2] = {0, 0}, writer_failed[2] = {0, 0};
  struct key_taker takers[2] = {{.key = 1, .taken = 0}, {.key = 2, .taken = 0}};
  thrd_t writers[2], taking[2];
  for (int i = 0; i < 2; i++) CHECK(thrd_create(&writers[i], reconfigure_keys_back_and_forth, &busy[i]) == thrd_success);
  for (int i = 0; i < 2; i++) CHECK(thrd_create(&taking[i], take_key_tokens, &takers[i]) == thrd_success);
  for (int i = 0; i < 2; i++) CHECK(thrd_join(writers[i], &writer_failed[i]) == thrd_success && writer_failed[i] == 0);
  for (int i = 0; i < 2; i++) CHECK(thrd_join(taking[i], NULL) == thrd_success);
  /* Keys 1 and 2 may share an entry (then one of them is refused while the
   * other limits): each takes at most its 8, together at least 1. */
  CHECK(takers[0].taken <= 8 && takers[1].taken <= 8 && takers[0].taken + takers[1].taken >= 1);
  CHECK(busy[0] + busy[1] < 10000);
  CHECK(tg_keyed_deinit(&contended_keys.table) == TG_OK);
}

static void test_bucket(void) {
  tg_bucket_config_t c = {.capacity = 3, .tokens = 1, .period_ticks = 10, .initial_fill = 1};
  CHECK(tg_bucket_config_check(&c) == TG_OK);
  CHECK(tg_bucket_config_check(NULL) == TG_E_NULL);
  tg_bucket_config_t bad = c;
  bad.capacity = 0;
  CHECK(tg_bucket_config_check(&bad) == TG_E_CONFIG_ZERO_CAPACITY);
  bad = c;
  bad.tokens = 0;
  CHECK(tg_bucket_config_check(&bad) == TG_E_CONFIG_ZERO_REFILL);
  bad = c;
  bad.period_ticks = (1ull << 62) + 1;
  CHECK(tg_bucket_config_check(&bad) == TG_E_CONFIG_PERIOD);
  bad = c;
  bad.initial_fill = 4;
  CHECK(tg_bucket_config_check(&bad) == TG_E_CONFIG_INITIAL_FILL);
  bad = c;
  bad.capacity = UINT32_MAX;
  bad.period_ticks = 1ull << 62;
  CHECK(tg_bucket_config_check(&bad) == TG_OK); /* any window fits */

  static tg_bucket_t zeroed;
  uint32_t v = 0;
  uint64_t r64 = 0;
  CHECK(tg_bucket_acquire(&zeroed, 1, 0, &r64) == TG_E_UNINITIALIZED);
  CHECK(tg_bucket_available(&zeroed, 0, &v) == TG_E_UNINITIALIZED);
  CHECK(tg_bucket_reset(&zeroed) == TG_E_UNINITIALIZED);
  CHECK(tg_bucket_acquire(NULL, 1, 0, &r64) == TG_E_NULL);
  CHECK(tg_bucket_deinit(&zeroed) == TG_E_UNINITIALIZED);
  CHECK(tg_bucket_deinit(NULL) == TG_E_NULL);
  CHECK(tg_bucket_available(NULL, 0, &v) == TG_E_NULL);
  CHECK(tg_bucket_reset(NULL) == TG_E_NULL);
  CHECK(tg_bucket_init(NULL, &c) == TG_E_NULL);

  tg_bucket_t b = {{0}};
  CHECK(tg_bucket_init(&b, NULL) == TG_E_NULL);
  CHECK(tg_bucket_init(&b, &c) == TG_OK);
  CHECK(tg_bucket_available(&b, 0, NULL) == TG_E_NULL);
  CHECK(tg_bucket_available(&b, 0, &v) == TG_OK && v == 1);
  uint64_t now = UINT64_MAX - 1000, retry = 0;
  CHECK(tg_bucket_acquire(&b, 1, now, &retry) == TG_OK && retry == 0);
  CHECK(tg_bucket_acquire(&b, 1, now, &retry) == TG_REFUSED && retry == now + 10);
  CHECK(tg_bucket_acquire(&b, 1, now + 9, NULL) == TG_REFUSED);
  CHECK(tg_bucket_acquire(&b, 1, now + 10, NULL) == TG_OK);
  CHECK(tg_bucket_acquire(&b, 4, now + 10, &retry) == TG_E_EXCEEDS_CAPACITY);
  CHECK(tg_bucket_acquire(&b, 0, now + 10, NULL) == TG_OK);
  CHECK(tg_bucket_available(&b, now + 40, &v) == TG_OK && v == 3);
  CHECK(tg_bucket_reset(&b) == TG_OK);
  CHECK(tg_bucket_available(&b, 0, &v) == TG_OK && v == 1);

  /* Live reconfiguration: the tokens carry over, clamped to the new
   * capacity, and refill at the new rate. */
  const tg_bucket_config_t ten_per_100 = {.capacity = 10, .tokens = 10, .period_ticks = 100};
  CHECK(tg_bucket_acquire(&b, 1, 1000, NULL) == TG_OK); /* 0 left of 1 */
  CHECK(tg_bucket_reconfigure(&b, &ten_per_100, 1000) == TG_OK);
  CHECK(tg_bucket_available(&b, 1000, &v) == TG_OK && v == 0);
  CHECK(tg_bucket_available(&b, 1050, &v) == TG_OK && v == 5);
  CHECK(tg_bucket_acquire(&b, 10, 1050, &retry) == TG_REFUSED && retry == 1100);
  CHECK(tg_bucket_acquire(&b, 11, 1050, &retry) == TG_E_EXCEEDS_CAPACITY);
  CHECK(tg_bucket_reconfigure(&b, &c, 1050) == TG_OK); /* 5 clamped to 3 */
  CHECK(tg_bucket_available(&b, 1050, &v) == TG_OK && v == 3);
  /* A reconfiguration days behind never refills a drained bucket. */
  CHECK(tg_bucket_acquire(&b, 3, 1050, NULL) == TG_OK);
  CHECK(tg_bucket_reconfigure(&b, &ten_per_100, 0) == TG_OK);
  CHECK(tg_bucket_available(&b, 1050, &v) == TG_OK && v == 0);
  bad = c;
  bad.capacity = 0;
  CHECK(tg_bucket_reconfigure(&b, &bad, 1050) == TG_E_CONFIG_ZERO_CAPACITY);
  CHECK(tg_bucket_available(&b, 1150, &v) == TG_OK && v == 10); /* kept its configuration */
  CHECK(tg_bucket_reconfigure(&b, NULL, 0) == TG_E_NULL);
  CHECK(tg_bucket_reconfigure(NULL, &c, 0) == TG_E_NULL);
  CHECK(tg_bucket_reconfigure(&zeroed, &c, 0) == TG_E_UNINITIALIZED);

  c.initial_fill = TG_BUCKET_FULL;
  CHECK(tg_bucket_init(&b, &c) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_bucket_init_ex(&b, &c, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_bucket_available(&b, 0, &v) == TG_OK && v == 3);
  CHECK(tg_bucket_init_ex(&b, &c, 8) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_bucket_deinit(&b) == TG_OK);
  CHECK(tg_bucket_init(&b, &c) == TG_OK);
}


/* Misuse is caught: a live object is not initialised again, a copy is not a
 * second guard, a misaligned pointer is refused before any access. */
static void test_misuse(void) {
  tg_breaker_t b = {{0}};
  tg_breaker_decision_t d;
  tg_state_t s;
  CHECK(tg_breaker_init(&b, &BREAKER_CONFIG) == TG_OK);
  CHECK(tg_breaker_acquire(&b, 0, &d) == TG_OK);
  CHECK(tg_breaker_record(&b, d.permit, TG_OUTCOME_FAILURE, 0, NULL) == TG_OK);
  CHECK(tg_breaker_init(&b, &BREAKER_CONFIG) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_breaker_state(&b, 0, &s) == TG_OK && s == TG_STATE_CLOSED); /* state kept */

  tg_breaker_t copy;
  memcpy(&copy, &b, sizeof b); /* a second guard by accident */
  CHECK(tg_breaker_acquire(&copy, 0, &d) == TG_E_MOVED);
  CHECK(tg_breaker_state(&copy, 0, &s) == TG_E_MOVED);
  CHECK(tg_breaker_deinit(&copy) == TG_E_MOVED);
  CHECK(tg_breaker_init(&copy, &BREAKER_CONFIG) == TG_OK); /* where it lives now */
  CHECK(tg_breaker_acquire(&copy, 0, &d) == TG_OK);

  CHECK(tg_breaker_init_ex(&b, &BREAKER_CONFIG, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_breaker_deinit(&b) == TG_OK);
  CHECK(tg_breaker_acquire(&b, 0, &d) == TG_E_UNINITIALIZED);
  CHECK(tg_breaker_init(&b, &BREAKER_CONFIG) == TG_OK);

  /* Misaligned: an object pointer 8 bytes into aligned storage. */
  static union {
    tg_breaker_t breaker;
    unsigned char bytes[sizeof(tg_breaker_t) * 2];
  } raw;
  void *off = raw.bytes + 8;
  CHECK(tg_breaker_init((tg_breaker_t *)off, &BREAKER_CONFIG) == TG_E_MISALIGNED);
  CHECK(tg_breaker_acquire((tg_breaker_t *)off, 0, &d) == TG_E_MISALIGNED);
  CHECK(tg_bucket_init((tg_bucket_t *)off, NULL) == TG_E_MISALIGNED);
  CHECK(tg_tick_extender_init((tg_tick_extender_t *)off, 0) == TG_E_MISALIGNED);
  size_t zero = 0;
  for (size_t i = 0; i < sizeof raw.bytes; i++) zero += raw.bytes[i] == 0;
  CHECK(zero == sizeof raw.bytes); /* nothing was written */

  /* Shared: position-independent, for memory mapped at several addresses. */
  tg_bucket_t shared = {{0}}, seen_elsewhere;
  const tg_bucket_config_t bc = {.capacity = 2, .tokens = 1, .period_ticks = 100, .initial_fill = TG_BUCKET_FULL};
  CHECK(tg_bucket_init_ex(&shared, &bc, TG_INIT_SHARED) == TG_OK);
  CHECK(tg_bucket_acquire(&shared, 1, 0, NULL) == TG_OK);
  memcpy(&seen_elsewhere, &shared, sizeof shared);
  CHECK(tg_bucket_acquire(&seen_elsewhere, 1, 0, NULL) == TG_OK);
  CHECK(tg_bucket_acquire(&seen_elsewhere, 1, 0, NULL) == TG_REFUSED);
  CHECK(tg_bucket_init(&seen_elsewhere, &bc) == TG_E_ALREADY_INITIALIZED);
}

/* Stale ticks never buy an admission; deadlines never alias. */
static void test_time(void) {
  tg_bucket_t b = {{0}};
  const tg_bucket_config_t bc = {.capacity = 10, .tokens = 1, .period_ticks = 1000, .initial_fill = TG_BUCKET_FULL};
  CHECK(tg_bucket_init(&b, &bc) == TG_OK);
  unsigned granted = 0;
  uint64_t now = 0;
  for (int i = 0; i < 10000; i++) {
    now += 100;
    granted += tg_bucket_acquire(&b, 1, now, NULL) == TG_OK;
    granted += tg_bucket_acquire(&b, 1, now > 15000 ? now - 15000 : 0, NULL) == TG_OK;
  }
  CHECK(granted <= 10 + now / 1000);

  tg_breaker_t br = {{0}};
  tg_breaker_decision_t d;
  tg_state_t s;
  CHECK(tg_breaker_init(&br, &BREAKER_CONFIG) == TG_OK);
  CHECK(tg_breaker_acquire(&br, 0, &d) == TG_OK);
  CHECK(tg_breaker_record(&br, d.permit, TG_OUTCOME_FAILURE, 0, NULL) == TG_OK);
  CHECK(tg_breaker_acquire(&br, 0, &d) == TG_OK);
  CHECK(tg_breaker_record(&br, d.permit, TG_OUTCOME_FAILURE, 0, NULL) == TG_OK);
  /* Idle for 2^23, 2^32 and 2^40 ticks: always past the deadline. */
  CHECK(tg_breaker_state(&br, 1ull << 23, &s) == TG_OK && s == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_state(&br, 1ull << 32, &s) == TG_OK && s == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_state(&br, 1ull << 40, &s) == TG_OK && s == TG_STATE_HALF_OPEN);
  CHECK(tg_breaker_acquire(&br, 99, &d) == TG_REFUSED && d.retry_at == 100);

  tg_tick_extender_t ext = {{0}};
  uint64_t t = 0;
  CHECK(tg_tick_extend(&ext, 1, &t) == TG_E_UNINITIALIZED);
  CHECK(tg_tick_extender_init(&ext, 0xFFFFFFF0u) == TG_OK);
  CHECK(tg_tick_extender_init(&ext, 0) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_tick_extender_init_ex(&ext, 0xFFFFFFF0u, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_tick_extender_init_ex(&ext, 0, 16) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_tick_extend(&ext, 0x10u, &t) == TG_OK && t == 0x100000010ull);
  CHECK(tg_tick_extend(&ext, 0xFFFFFFFFu, &t) == TG_OK && t == 0xFFFFFFFFull); /* a late reading */
  CHECK(tg_tick_extend(&ext, 0x10u, NULL) == TG_E_NULL);
  CHECK(tg_tick_extend(NULL, 0x10u, &t) == TG_E_NULL);
}

static const tg_retry_config_t RETRY = {
    .max_attempts = 4, .backoff = TG_BACKOFF_EXPONENTIAL, .base_ticks = 100, .step_ticks = 0,
    .multiplier_milli = 2000, .jitter = TG_JITTER_NONE, .jitter_ticks = 0, .jitter_per_mille = 0,
    .max_delay_ticks = 1000, .deadline_ticks = TG_NO_DEADLINE};

/* Retry: every backoff and jitter kind, every outcome and reason to give up. */
static void test_retry(void) {
  CHECK(tg_retry_config_check(&RETRY) == TG_OK);
  CHECK(tg_retry_config_check(NULL) == TG_E_NULL);
  tg_retry_config_t bad = RETRY;
  bad.max_attempts = 0;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_MAX_ATTEMPTS);
  bad = RETRY;
  bad.multiplier_milli = 999;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_MULTIPLIER);
  bad = RETRY;
  bad.jitter = TG_JITTER_PROPORTIONAL;
  bad.jitter_per_mille = 1001;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_JITTER);
  bad = RETRY;
  bad.max_delay_ticks = (1ull << 62) + 1;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_MAX_DELAY);
  bad = RETRY;
  bad.deadline_ticks = UINT64_MAX;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_DEADLINE);
  bad = RETRY;
  bad.base_ticks = (1ull << 62) + 1;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_BASE_TICKS);
  bad = RETRY;
  bad.backoff = TG_BACKOFF_LINEAR;
  bad.step_ticks = (1ull << 62) + 1;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_STEP_TICKS);
  bad = RETRY;
  bad.jitter = TG_JITTER_ADDITIVE;
  bad.jitter_ticks = (1ull << 62) + 1;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_JITTER_TICKS);
  bad = RETRY;
  bad.backoff = 3;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_BACKOFF);
  bad = RETRY;
  bad.jitter = 7;
  CHECK(tg_retry_config_check(&bad) == TG_E_CONFIG_JITTER_KIND);

  static tg_retry_policy_t policy;
  tg_retry_attempt_t attempt = {{0}};
  tg_retry_decision_t d = {.retry = false, .retry_at = 0, .give_up = 99};
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 0, NULL, &d) == TG_E_UNINITIALIZED);
  CHECK(tg_retry_policy_init(&policy, &bad) == TG_E_CONFIG_JITTER_KIND);
  CHECK(tg_retry_policy_init(NULL, &RETRY) == TG_E_NULL);
  CHECK(tg_retry_policy_init(&policy, &RETRY) == TG_OK);
  CHECK(tg_retry_policy_init(&policy, &RETRY) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 0, NULL, &d) == TG_E_UNINITIALIZED);
  CHECK(tg_retry_attempt_begin(NULL, 0, 1) == TG_E_NULL);
  CHECK(tg_retry_attempt_begin(&attempt, 1000, 42) == TG_OK);
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 1010, NULL, NULL) == TG_E_NULL);
  CHECK(tg_retry_next(NULL, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 1010, NULL, &d) == TG_E_NULL);
  CHECK(tg_retry_next(&policy, NULL, TG_RETRY_OUTCOME_FAILED, 0, 1010, NULL, &d) == TG_E_NULL);
  CHECK(tg_retry_next(&policy, &attempt, 99, 0, 1010, NULL, &d) == TG_E_INVALID_ARGUMENT);
  /* base x 2^(n-1), the exponential formula */
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 1010, NULL, &d) == TG_OK);
  CHECK(d.retry && d.retry_at == 1110 && d.give_up == TG_GIVE_UP_NONE);
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_RETRY_AFTER, 5000, 1120, NULL, &d) == TG_OK);
  CHECK(d.retry && d.retry_at == 5000); /* the server's delay replaces the computed one */
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_REFUSED, 6000, 5001, NULL, &d) == TG_OK);
  CHECK(d.retry && d.retry_at == 6000); /* never earlier than a refusal said */
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 6001, NULL, &d) == TG_OK);
  CHECK(!d.retry && d.give_up == TG_GIVE_UP_ATTEMPTS_EXHAUSTED); /* max_attempts counts the first call */

  const struct {
    tg_retry_outcome_t outcome;
    tg_give_up_t why;
  } stops[] = {{TG_RETRY_OUTCOME_NOT_RETRYABLE, TG_GIVE_UP_NOT_RETRYABLE},
               {TG_RETRY_OUTCOME_DO_NOT_RETRY, TG_GIVE_UP_SERVER_SAID_STOP},
               {TG_RETRY_OUTCOME_REFUSED_INDEFINITELY, TG_GIVE_UP_REFUSED_INDEFINITELY}};
  for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
    CHECK(tg_retry_attempt_begin(&attempt, 0, 1) == TG_OK);
    CHECK(tg_retry_next(&policy, &attempt, stops[i].outcome, 0, 0, NULL, &d) == TG_OK);
    CHECK(!d.retry && d.give_up == stops[i].why);
  }

  /* A deadline 150 ticks after the first attempt. */
  tg_retry_config_t with_deadline = RETRY;
  with_deadline.deadline_ticks = 150;
  static tg_retry_policy_t dp;
  CHECK(tg_retry_policy_init(&dp, &with_deadline) == TG_OK);
  CHECK(tg_retry_attempt_begin(&attempt, 0, 1) == TG_OK);
  CHECK(tg_retry_next(&dp, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 10, NULL, &d) == TG_OK && d.retry_at == 110);
  CHECK(tg_retry_next(&dp, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 110, NULL, &d) == TG_OK);
  CHECK(!d.retry && d.give_up == TG_GIVE_UP_DEADLINE);
  CHECK(tg_retry_policy_init_ex(&dp, &with_deadline, 8) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_retry_policy_deinit(&dp) == TG_OK);
  CHECK(tg_retry_policy_deinit(&dp) == TG_E_UNINITIALIZED);

  /* A budget that allows no retry makes the step give up. */
  static tg_retry_budget_t empty;
  const tg_retry_budget_config_t bc = {.max_tokens = 1, .token_ratio_milli = 1};
  CHECK(tg_retry_budget_init(&empty, &bc) == TG_OK && tg_retry_budget_failure(&empty) == TG_OK);
  CHECK(tg_retry_attempt_begin(&attempt, 0, 1) == TG_OK);
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 0, &empty, &d) == TG_OK);
  CHECK(!d.retry && d.give_up == TG_GIVE_UP_BUDGET_EMPTY);

  /* Every jitter kind stays under the cap; the same seed gives the same delays. */
  const tg_jitter_t jitters[] = {TG_JITTER_NONE, TG_JITTER_ADDITIVE, TG_JITTER_FULL, TG_JITTER_EQUAL,
                                 TG_JITTER_DECORRELATED, TG_JITTER_PROPORTIONAL,
                                 TG_JITTER_DECORRELATED_V2};
  const tg_backoff_t backoffs[] = {TG_BACKOFF_CONSTANT, TG_BACKOFF_LINEAR, TG_BACKOFF_EXPONENTIAL};
  for (size_t j = 0; j < sizeof jitters / sizeof jitters[0]; j++) {
    for (size_t b = 0; b < 3; b++) {
      tg_retry_config_t c = RETRY;
      c.max_attempts = 20;
      c.backoff = backoffs[b];
      c.step_ticks = 50;
      c.jitter = jitters[j];
      c.jitter_ticks = 500;
      c.jitter_per_mille = 300;
      c.max_delay_ticks = 700;
      static tg_retry_policy_t p;
      CHECK(tg_retry_policy_init_ex(&p, &c, TG_INIT_REINIT) == TG_OK);
      tg_retry_attempt_t a1, a2;
      CHECK(tg_retry_attempt_begin(&a1, 0, 7) == TG_OK && tg_retry_attempt_begin(&a2, 0, 7) == TG_OK);
      uint64_t now = 0;
      int ok = 1;
      for (int n = 0; n < 19; n++) {
        tg_retry_decision_t x, y;
        ok &= tg_retry_next(&p, &a1, TG_RETRY_OUTCOME_FAILED, 0, now, NULL, &x) == TG_OK;
        ok &= tg_retry_next(&p, &a2, TG_RETRY_OUTCOME_FAILED, 0, now, NULL, &y) == TG_OK;
        ok &= x.retry && y.retry && x.retry_at == y.retry_at && x.retry_at - now <= 700;
        now = x.retry_at;
      }
      CHECK(ok);
    }
  }
}

/* The retry budget: failures withdraw, successes deposit, retries above half. */
static void test_budget(void) {
  static tg_retry_budget_t budget;
  bool allows = true;
  uint64_t tokens = 0;
  CHECK(tg_retry_budget_state(&budget, &allows, &tokens) == TG_E_UNINITIALIZED);
  const tg_retry_budget_config_t bad = {.max_tokens = 0, .token_ratio_milli = 100};
  CHECK(tg_retry_budget_init(&budget, &bad) == TG_E_CONFIG_MAX_TOKENS);
  const tg_retry_budget_config_t bad_ratio = {.max_tokens = 1, .token_ratio_milli = 1001};
  CHECK(tg_retry_budget_init_ex(&budget, &bad_ratio, TG_INIT_DEFAULT) == TG_E_CONFIG_TOKEN_RATIO);
  const tg_retry_budget_config_t c = {.max_tokens = 10, .token_ratio_milli = 100};
  CHECK(tg_retry_budget_init(&budget, NULL) == TG_E_NULL);
  CHECK(tg_retry_budget_init(&budget, &c) == TG_OK);
  CHECK(tg_retry_budget_init(&budget, &c) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_retry_budget_state(&budget, &allows, &tokens) == TG_OK && allows && tokens == 10000);
  CHECK(tg_retry_budget_state(&budget, NULL, &tokens) == TG_E_NULL);
  unsigned retries = 0;
  for (int i = 0; i < 1000; i++) { /* an outage: every call fails */
    CHECK(tg_retry_budget_failure(&budget) == TG_OK);
    CHECK(tg_retry_budget_state(&budget, &allows, NULL) == TG_OK);
    retries += allows;
  }
  CHECK(retries == 4); /* 9, 8, 7, 6 tokens: then retries stop */
  CHECK(tg_retry_budget_state(&budget, &allows, &tokens) == TG_OK && !allows && tokens == 0);
  CHECK(tg_retry_budget_success(&budget) == TG_OK);
  CHECK(tg_retry_budget_state(&budget, &allows, &tokens) == TG_OK && tokens == 100);
  CHECK(tg_retry_budget_reset(&budget) == TG_OK);
  CHECK(tg_retry_budget_state(&budget, &allows, &tokens) == TG_OK && tokens == 10000);
  CHECK(tg_retry_budget_success(NULL) == TG_E_NULL);
  CHECK(tg_retry_budget_failure(NULL) == TG_E_NULL);
  CHECK(tg_retry_budget_reset(NULL) == TG_E_NULL);
  CHECK(tg_retry_budget_deinit(&budget) == TG_OK);
  CHECK(tg_retry_budget_success(&budget) == TG_E_UNINITIALIZED);
  CHECK(tg_retry_budget_deinit(&budget) == TG_E_UNINITIALIZED);
}

/* The four error classes and the handling table. */
static void test_handling(void) {
  tg_handling_table_t table;
  CHECK(tg_handling_table_default(&table) == TG_OK);
  CHECK(tg_handling_table_default(NULL) == TG_E_NULL);
  tg_error_class_t class = 99;
  CHECK(tg_error_class(TG_ERROR_CONNECTION_FAILED, &class) == TG_OK && class == TG_ERROR_CLASS_NETWORK);
  CHECK(tg_error_class(TG_ERROR_WRITE_TIMEOUT, &class) == TG_OK && class == TG_ERROR_CLASS_TIMEOUT);
  CHECK(tg_error_class(TG_ERROR_INCONSISTENT_DATA, &class) == TG_OK && class == TG_ERROR_CLASS_DATA);
  CHECK(tg_error_class(TG_ERROR_OUT_OF_DISK, &class) == TG_OK && class == TG_ERROR_CLASS_SYSTEM);
  CHECK(tg_error_class(TG_ERROR_KINDS, &class) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_error_class(0, NULL) == TG_E_NULL);
  tg_handling_t h;
  tg_outcome_t breaker_outcome;
  tg_retry_outcome_t retry_outcome;
  CHECK(tg_handling_lookup(&table, TG_ERROR_READ_TIMEOUT, &h, &breaker_outcome, &retry_outcome) == TG_OK);
  CHECK(h.retry == TG_RETRY_WITH_EXPONENTIAL && h.breaker_failure && breaker_outcome == TG_OUTCOME_FAILURE &&
        retry_outcome == TG_RETRY_OUTCOME_FAILED);
  CHECK(tg_handling_lookup(&table, TG_ERROR_FORMAT, &h, &breaker_outcome, &retry_outcome) == TG_OK);
  CHECK(h.retry == TG_RETRY_WITH_NEVER && !h.breaker_failure && h.fallback && h.alert &&
        breaker_outcome == TG_OUTCOME_IGNORED && retry_outcome == TG_RETRY_OUTCOME_NOT_RETRYABLE);
  CHECK(tg_handling_lookup(&table, TG_ERROR_OUT_OF_MEMORY, &h, NULL, NULL) == TG_OK);
  CHECK(h.retry == TG_RETRY_WITH_NEVER && h.breaker_failure && h.alert);
  CHECK(tg_handling_lookup(&table, TG_ERROR_PROTOCOL, &h, NULL, NULL) == TG_OK);
  CHECK(h.retry == TG_RETRY_WITH_BACKOFF && h.breaker_failure && h.fallback && h.alert);
  /* Callers override entries in place. */
  table.entries[TG_ERROR_FORMAT].retry = TG_RETRY_WITH_BACKOFF;
  CHECK(tg_handling_lookup(&table, TG_ERROR_FORMAT, NULL, NULL, &retry_outcome) == TG_OK &&
        retry_outcome == TG_RETRY_OUTCOME_FAILED);
  table.entries[TG_ERROR_FORMAT].retry = 77;
  CHECK(tg_handling_lookup(&table, TG_ERROR_FORMAT, &h, NULL, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_handling_lookup(&table, 11, &h, NULL, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_handling_lookup(NULL, 0, &h, NULL, NULL) == TG_E_NULL);
}

/* The last-known-good store: fixed slots, ages, the maximum age, eviction. */
static void test_lkg(void) {
  static tg_lkg_t lkg;
  char value[TG_LKG_VALUE_BYTES];
  size_t len = 0;
  uint64_t age = 0;
  CHECK(tg_lkg_serve(&lkg, (const uint8_t *)"k", 1, 0, (uint8_t *)value, &len, &age) == TG_E_UNINITIALIZED);
  CHECK(tg_lkg_init(NULL, 100) == TG_E_NULL);
  CHECK(tg_lkg_init(&lkg, 1000) == TG_OK);
  CHECK(tg_lkg_init(&lkg, 1000) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_lkg_init_ex(&lkg, 1000, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_lkg_store(&lkg, (const uint8_t *)"temp", 4, (const uint8_t *)"21.5", 4, 100) == TG_OK);
  CHECK(tg_lkg_serve(&lkg, (const uint8_t *)"temp", 4, 600, (uint8_t *)value, &len, &age) == TG_OK);
  CHECK(len == 4 && memcmp(value, "21.5", 4) == 0 && age == 500);
  CHECK(tg_lkg_serve(&lkg, (const uint8_t *)"temp", 4, 1101, (uint8_t *)value, &len, NULL) == TG_NOT_FOUND);
  CHECK(tg_lkg_serve(&lkg, (const uint8_t *)"other", 5, 600, (uint8_t *)value, &len, NULL) == TG_NOT_FOUND);
  CHECK(tg_lkg_serve(&lkg, (const uint8_t *)"temp", 4, 600, NULL, &len, NULL) == TG_E_NULL);
  CHECK(tg_lkg_serve(&lkg, NULL, 4, 600, (uint8_t *)value, &len, NULL) == TG_E_NULL);
  uint8_t big[TG_LKG_VALUE_BYTES + 1] = {0};
  CHECK(tg_lkg_store(&lkg, (const uint8_t *)"k", 1, big, sizeof big, 0) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_lkg_store(&lkg, big, TG_LKG_KEY_BYTES + 1, big, 1, 0) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_lkg_store(NULL, (const uint8_t *)"k", 1, big, 1, 0) == TG_E_NULL);
  /* Full: a new key replaces the entry stored longest ago ("temp", at 100). */
  for (int i = 0; i < TG_LKG_ENTRIES; i++) {
    uint8_t key = (uint8_t)i;
    CHECK(tg_lkg_store(&lkg, &key, 1, &key, 1, 200 + (uint64_t)i) == TG_OK);
  }
  CHECK(tg_lkg_serve(&lkg, (const uint8_t *)"temp", 4, 300, (uint8_t *)value, &len, NULL) == TG_NOT_FOUND);
  uint8_t first = 0;
  CHECK(tg_lkg_serve(&lkg, &first, 1, 300, (uint8_t *)value, &len, &age) == TG_OK && age == 100);
  CHECK(tg_lkg_forget(&lkg, &first, 1) == TG_OK);
  CHECK(tg_lkg_serve(&lkg, &first, 1, 300, (uint8_t *)value, &len, &age) == TG_NOT_FOUND);
  CHECK(tg_lkg_forget(&lkg, big, TG_LKG_KEY_BYTES + 1) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_lkg_deinit(&lkg) == TG_OK);
  CHECK(tg_lkg_deinit(&lkg) == TG_E_UNINITIALIZED);
}

/* Every C configuration with each field zeroed in turn, as a field left out
 * of a designated initializer is: refused with the field's own status, or
 * "none"/the default, which is a sound policy. */
static void test_zeroed_config_fields(void) {
  tg_breaker_config_t breaker;
  CHECK(tg_breaker_config_default(&breaker) == TG_OK);
  const tg_status_t breaker_expected[] = {TG_E_CONFIG_FAILURE_THRESHOLD, TG_E_CONFIG_OPEN_TICKS,
                                          TG_E_CONFIG_HALF_OPEN_PERMITS, TG_E_CONFIG_SUCCESS_THRESHOLD,
                                          TG_E_CONFIG_HALF_OPEN_TIMEOUT};
  for (int field = 0; field < 5; field++) {
    tg_breaker_config_t c = breaker;
    switch (field) {
      case 0: c.failure_threshold = 0; break;
      case 1: c.open_ticks = 0; break;
      case 2: c.half_open_permits = 0; break;
      case 3: c.success_threshold = 0; break;
      default: c.half_open_timeout_ticks = 0; break;
    }
    CHECK(tg_breaker_config_check(&c) == breaker_expected[field]);
  }

  tg_bucket_config_t bucket;
  CHECK(tg_bucket_config_default(&bucket) == TG_OK);
  CHECK(bucket.capacity == 100 && bucket.tokens == 10 && bucket.period_ticks == 1000 &&
        bucket.initial_fill == TG_BUCKET_FULL);
  const tg_status_t bucket_expected[] = {TG_E_CONFIG_ZERO_CAPACITY, TG_E_CONFIG_ZERO_REFILL, TG_E_CONFIG_PERIOD,
                                         TG_OK /* initial_fill 0: full */};
  for (int field = 0; field < 4; field++) {
    tg_bucket_config_t c = bucket;
    switch (field) {
      case 0: c.capacity = 0; break;
      case 1: c.tokens = 0; break;
      case 2: c.period_ticks = 0; break;
      default: c.initial_fill = 0; break;
    }
    CHECK(tg_bucket_config_check(&c) == bucket_expected[field]);
  }
  /* Omitted fill starts full; TG_BUCKET_EMPTY starts empty. */
  tg_bucket_t b = {{0}};
  uint32_t available = 0;
  const tg_bucket_config_t omitted = {.capacity = 3, .tokens = 1, .period_ticks = 10};
  CHECK(tg_bucket_init(&b, &omitted) == TG_OK);
  CHECK(tg_bucket_available(&b, 0, &available) == TG_OK && available == 3);
  const tg_bucket_config_t empty = {.capacity = 3, .tokens = 1, .period_ticks = 10, .initial_fill = TG_BUCKET_EMPTY};
  CHECK(tg_bucket_init_ex(&b, &empty, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_bucket_available(&b, 0, &available) == TG_OK && available == 0);
  CHECK(tg_bucket_deinit(&b) == TG_OK);

  tg_retry_config_t retry;
  CHECK(tg_retry_config_default(&retry) == TG_OK);
  CHECK(retry.max_attempts == 3 && retry.backoff == TG_BACKOFF_EXPONENTIAL && retry.base_ticks == 1000 &&
        retry.multiplier_milli == 2000 && retry.max_delay_ticks == 60000 && retry.deadline_ticks == TG_NO_DEADLINE);
  const tg_status_t retry_expected[] = {TG_E_CONFIG_MAX_ATTEMPTS, TG_OK, TG_E_CONFIG_BASE_TICKS, TG_OK, TG_OK,
                                        TG_OK, TG_OK, TG_OK, TG_OK, TG_OK};
  for (int field = 0; field < 10; field++) {
    tg_retry_config_t c = retry;
    switch (field) {
      case 0: c.max_attempts = 0; break;
      case 1: c.backoff = 0; break;          /* constant */
      case 2: c.base_ticks = 0; break;
      case 3: c.step_ticks = 0; break;
      case 4: c.multiplier_milli = 0; break; /* doubling */
      case 5: c.jitter = 0; break;           /* none */
      case 6: c.jitter_ticks = 0; break;
      case 7: c.jitter_per_mille = 0; break;
      case 8: c.max_delay_ticks = 0; break;  /* no cap */
      default: c.deadline_ticks = 0; break;  /* no deadline */
    }
    CHECK(tg_retry_config_check(&c) == retry_expected[field]);
  }
  /* A designated initializer naming only what is needed: a sound policy,
   * growing delays, no instant give-up. */
  const tg_retry_config_t sparse = {.max_attempts = 4, .backoff = TG_BACKOFF_EXPONENTIAL, .base_ticks = 100};
  static tg_retry_policy_t policy;
  tg_retry_attempt_t attempt = {{0}};
  tg_retry_decision_t d;
  CHECK(tg_retry_policy_init(&policy, &sparse) == TG_OK);
  CHECK(tg_retry_attempt_begin(&attempt, 0, 1) == TG_OK);
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 0, NULL, &d) == TG_OK && d.retry &&
        d.retry_at == 100);
  CHECK(tg_retry_next(&policy, &attempt, TG_RETRY_OUTCOME_FAILED, 0, 100, NULL, &d) == TG_OK && d.retry &&
        d.retry_at == 300);
  CHECK(tg_retry_policy_deinit(&policy) == TG_OK);

  tg_retry_budget_config_t budget;
  CHECK(tg_retry_budget_config_default(&budget) == TG_OK);
  CHECK(budget.max_tokens == 10 && budget.token_ratio_milli == 100);
  CHECK(tg_retry_budget_config_check(&budget) == TG_OK);
  CHECK(tg_retry_budget_config_check(NULL) == TG_E_NULL);
  tg_retry_budget_config_t c = budget;
  c.max_tokens = 0;
  CHECK(tg_retry_budget_config_check(&c) == TG_E_CONFIG_MAX_TOKENS);
  c = budget;
  c.token_ratio_milli = 0;
  CHECK(tg_retry_budget_config_check(&c) == TG_E_CONFIG_TOKEN_RATIO);
  CHECK(tg_bucket_config_default(NULL) == TG_E_NULL);
  CHECK(tg_retry_config_default(NULL) == TG_E_NULL);
  CHECK(tg_retry_budget_config_default(NULL) == TG_E_NULL);
}

/* Stale objects: the header still says "live", the body was overwritten
 * (memory reused). Every call returns a status and stays inside the object
 * (AddressSanitizer watches). */
static int known_status(tg_status_t s) { return strcmp(tg_status_str(s), "unknown status") != 0; }

static void test_stale_objects(void) {
  static const unsigned char fills[] = {0xFF, 0x00, 0xA5};
  for (size_t f = 0; f < sizeof fills; f++) {
    tg_lkg_t lkg;
    char value[TG_LKG_VALUE_BYTES];
    size_t len = 0;
    /* The stack slot may still hold last round's header: reinitialise. */
    CHECK(tg_lkg_init_ex(&lkg, 1000, TG_INIT_REINIT) == TG_OK);
    memset((char *)&lkg + 16, fills[f], sizeof lkg - 16);
    CHECK(known_status(tg_lkg_store(&lkg, (const uint8_t *)"key", 3, (const uint8_t *)"v", 1, 0)));
    CHECK(known_status(tg_lkg_serve(&lkg, (const uint8_t *)"key", 3, 0, (uint8_t *)value, &len, NULL)));
    CHECK(len <= TG_LKG_VALUE_BYTES);
    CHECK(known_status(tg_lkg_forget(&lkg, (const uint8_t *)"key", 3)));

    tg_bucket_t bucket;
    const tg_bucket_config_t bc = {.capacity = 3, .tokens = 1, .period_ticks = 10, .initial_fill = TG_BUCKET_FULL};
    uint64_t retry_at = 0;
    uint32_t available = 0;
    CHECK(tg_bucket_init_ex(&bucket, &bc, TG_INIT_REINIT) == TG_OK);
    memset((char *)&bucket + 16, fills[f], sizeof bucket - 16);
    CHECK(known_status(tg_bucket_acquire(&bucket, 1, 5, &retry_at)));
    CHECK(known_status(tg_bucket_acquire(&bucket, UINT32_MAX, UINT64_MAX, &retry_at)));
    CHECK(known_status(tg_bucket_available(&bucket, 5, &available)));

    tg_breaker_t breaker;
    tg_breaker_decision_t d;
    CHECK(tg_breaker_init_ex(&breaker, &BREAKER_CONFIG, TG_INIT_REINIT) == TG_OK);
    memset((char *)&breaker + 16, fills[f], sizeof breaker - 16);
    CHECK(known_status(tg_breaker_acquire(&breaker, 5, &d)));
    CHECK(known_status(tg_breaker_open_for(&breaker, 10, 5, NULL, NULL)));
  }
}

/* Degradation levels: manual, automatic from a breaker, switches. */
static void test_degradation(void) {
  static tg_degradation_t d;
  bool allows = false;
  uint8_t level = 99;
  tg_level_change_t change;
  CHECK(tg_degradation_allows(&d, 1, 0, &allows, &level) == TG_E_UNINITIALIZED);
  CHECK(tg_degradation_init(&d, 8) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_degradation_init(&d, TG_INIT_DEFAULT) == TG_OK);
  CHECK(tg_degradation_init(&d, TG_INIT_DEFAULT) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_degradation_allows(&d, 1, 0, &allows, &level) == TG_OK && allows && level == 0);
  CHECK(tg_degradation_follow_breaker(&d, TG_STATE_OPEN, 2, &change) == TG_OK);
  CHECK(change.changed && change.from == 0 && change.to == 2);
  CHECK(tg_degradation_follow_breaker(&d, TG_STATE_HALF_OPEN, 2, &change) == TG_OK && !change.changed);
  CHECK(tg_degradation_allows(&d, 2, 0, &allows, &level) == TG_OK && !allows && level == 2);
  CHECK(tg_degradation_allows(&d, 3, 0, &allows, NULL) == TG_OK && allows);
  CHECK(tg_degradation_set_level(&d, 3, &change) == TG_OK && change.changed && change.to == 3);
  CHECK(tg_degradation_follow_breaker(&d, TG_STATE_CLOSED, 2, &change) == TG_OK && !change.changed);
  CHECK(tg_degradation_set_level(&d, 0, NULL) == TG_OK);
  CHECK(tg_degradation_allows(&d, 1, 0, &allows, &level) == TG_OK && allows && level == 0);
  CHECK(tg_degradation_switch(&d, 7, false) == TG_OK);
  CHECK(tg_degradation_allows(&d, 1, 7, &allows, NULL) == TG_OK && !allows);
  CHECK(tg_degradation_switch(&d, 7, true) == TG_OK);
  CHECK(tg_degradation_allows(&d, 1, 7, &allows, NULL) == TG_OK && allows);
  CHECK(tg_degradation_switch(&d, 32, true) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_degradation_allows(&d, 1, 32, &allows, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_degradation_allows(&d, 1, 0, NULL, NULL) == TG_E_NULL);
  CHECK(tg_degradation_follow_breaker(&d, 9, 1, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_degradation_set_level(NULL, 1, NULL) == TG_E_NULL);
}

/* Snapshots: an OPEN breaker saved before a "reboot" stays open for the
   time it had left after it, counted from a tick counter restarted at 0; a
   bucket keeps its tokens, a budget and levels theirs; damaged snapshots are
   rejected with their own status and leave the object fresh. */
static void test_snapshots(void) {
  static tg_breaker_t before, after;
  tg_breaker_config_t c;
  CHECK(tg_breaker_config_default(&c) == TG_OK);
  c.failure_threshold = 1;
  c.open_ticks = 5000;
  CHECK(tg_breaker_init(&before, &c) == TG_OK && tg_breaker_init(&after, &c) == TG_OK);
  tg_breaker_decision_t d;
  CHECK(tg_breaker_acquire(&before, 1000000, &d) == TG_OK);
  CHECK(tg_breaker_record(&before, d.permit, TG_OUTCOME_FAILURE, 1000000, NULL) == TG_OK);
  uint8_t saved[TG_BREAKER_SNAPSHOT_SIZE];
  CHECK(tg_breaker_snapshot(&before, 1003000, saved, sizeof saved - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_breaker_snapshot(&before, 1003000, NULL, sizeof saved) == TG_E_NULL);
  CHECK(tg_breaker_snapshot(&before, 1003000, saved, sizeof saved) == TG_OK);
  CHECK(tg_breaker_restore(&after, saved, sizeof saved, 0) == TG_OK);
  CHECK(tg_breaker_acquire(&after, 1999, &d) == TG_REFUSED && d.retry_at == 2000);
  CHECK(tg_breaker_acquire(&after, 2000, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);

  /* Damage: every status of its own, and the breaker is left CLOSED. */
  uint8_t bad[TG_BREAKER_SNAPSHOT_SIZE + 1];
  memcpy(bad, saved, sizeof saved);
  tg_state_t state;
  CHECK(tg_breaker_restore(&after, bad, sizeof saved - 1, 0) == TG_E_SNAPSHOT_TRUNCATED);
  CHECK(tg_breaker_state(&after, 0, &state) == TG_OK && state == TG_STATE_CLOSED);
  CHECK(tg_breaker_force_open(&after, NULL) == TG_OK);
  CHECK(tg_breaker_restore(&after, bad, sizeof bad, 0) == TG_E_SNAPSHOT_TRUNCATED);
  CHECK(tg_breaker_state(&after, 0, &state) == TG_OK && state == TG_STATE_CLOSED);
  bad[20] ^= 4;
  CHECK(tg_breaker_restore(&after, bad, sizeof saved, 0) == TG_E_SNAPSHOT_CORRUPT);
  memcpy(bad, saved, sizeof saved);
  bad[2] = 7;
  CHECK(tg_breaker_restore(&after, bad, sizeof saved, 0) == TG_E_SNAPSHOT_VERSION);
  CHECK(tg_breaker_restore(&after, NULL, 0, 0) == TG_E_NULL);
  static tg_breaker_t other;
  c.failure_threshold = 2;
  CHECK(tg_breaker_init(&other, &c) == TG_OK);
  CHECK(tg_breaker_restore(&other, saved, sizeof saved, 0) == TG_E_SNAPSHOT_CONFIG);

  static tg_bucket_t bucket, bucket_after;
  const tg_bucket_config_t bc = {.capacity = 10, .tokens = 1, .period_ticks = 100};
  CHECK(tg_bucket_init(&bucket, &bc) == TG_OK && tg_bucket_init(&bucket_after, &bc) == TG_OK);
  CHECK(tg_bucket_acquire(&bucket, 7, 50000, NULL) == TG_OK);
  uint8_t bucket_saved[TG_BUCKET_SNAPSHOT_SIZE];
  CHECK(tg_bucket_snapshot(&bucket, 50000, bucket_saved, sizeof bucket_saved) == TG_OK);
  CHECK(tg_bucket_restore(&bucket_after, saved, sizeof saved, 0) == TG_E_SNAPSHOT_KIND);
  CHECK(tg_bucket_restore(&bucket_after, bucket_saved, sizeof bucket_saved, 0) == TG_OK);
  uint32_t tokens = 0;
  CHECK(tg_bucket_available(&bucket_after, 0, &tokens) == TG_OK && tokens == 3);

  static tg_retry_budget_t budget, budget_after;
  const tg_retry_budget_config_t rc = {.max_tokens = 10, .token_ratio_milli = 100};
  CHECK(tg_retry_budget_init(&budget, &rc) == TG_OK && tg_retry_budget_init(&budget_after, &rc) == TG_OK);
  CHECK(tg_retry_budget_failure(&budget) == TG_OK);
  uint8_t budget_saved[TG_RETRY_BUDGET_SNAPSHOT_SIZE];
  CHECK(tg_retry_budget_snapshot(&budget, 0, budget_saved, sizeof budget_saved) == TG_OK);
  CHECK(tg_retry_budget_restore(&budget_after, budget_saved, sizeof budget_saved, 0) == TG_OK);
  uint64_t milli = 0;
  CHECK(tg_retry_budget_state(&budget_after, NULL, &milli) == TG_E_NULL);
  bool allows = false;
  CHECK(tg_retry_budget_state(&budget_after, &allows, &milli) == TG_OK && milli == 9000);

  static tg_degradation_t levels, levels_after;
  CHECK(tg_degradation_init(&levels, TG_INIT_DEFAULT) == TG_OK);
  CHECK(tg_degradation_init(&levels_after, TG_INIT_DEFAULT) == TG_OK);
  CHECK(tg_degradation_set_level(&levels, 2, NULL) == TG_OK);
  uint8_t levels_saved[TG_DEGRADATION_SNAPSHOT_SIZE];
  CHECK(tg_degradation_snapshot(&levels, 0, levels_saved, sizeof levels_saved) == TG_OK);
  CHECK(tg_degradation_restore(&levels_after, levels_saved, sizeof levels_saved, 0) == TG_OK);
  uint8_t level = 0;
  CHECK(tg_degradation_allows(&levels_after, 9, 0, &allows, &level) == TG_OK && level == 2);

  /* The last-known-good store keeps its values and their ages across a
     reboot at tick 0. */
  static tg_lkg_t cache, cache_after;
  CHECK(tg_lkg_init(&cache, 1000) == TG_OK && tg_lkg_init(&cache_after, 1000) == TG_OK);
  CHECK(tg_lkg_store(&cache, (const uint8_t *)"temp", 4, (const uint8_t *)"21.5", 4, 50000) == TG_OK);
  static uint8_t page[TG_LKG_SNAPSHOT_SIZE];
  CHECK(tg_lkg_snapshot(&cache, 50300, page, sizeof page - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_lkg_snapshot(&cache, 50300, page, sizeof page) == TG_OK);
  CHECK(tg_lkg_restore(&cache_after, page, sizeof page, 0) == TG_OK);
  char value[TG_LKG_VALUE_BYTES];
  size_t len = 0;
  uint64_t age = 0;
  CHECK(tg_lkg_serve(&cache_after, (const uint8_t *)"temp", 4, 100, (uint8_t *)value, &len, &age) == TG_OK);
  CHECK(len == 4 && memcmp(value, "21.5", 4) == 0 && age == 400);
  CHECK(tg_lkg_serve(&cache_after, (const uint8_t *)"temp", 4, 701, (uint8_t *)value, &len, &age) == TG_NOT_FOUND);
  CHECK(tg_lkg_restore(&cache_after, saved, sizeof saved, 0) == TG_E_SNAPSHOT_KIND);
  CHECK(tg_lkg_serve(&cache_after, (const uint8_t *)"temp", 4, 100, (uint8_t *)value, &len, &age) == TG_NOT_FOUND);
  static tg_lkg_t other_age;
  CHECK(tg_lkg_init(&other_age, 999) == TG_OK);
  CHECK(tg_lkg_restore(&other_age, page, sizeof page, 0) == TG_E_SNAPSHOT_CONFIG);
  CHECK(tg_lkg_restore(&cache_after, NULL, 0, 0) == TG_E_NULL);
}

/* Header and library agree on the version; the macros compose TG_VERSION. */
/* The fixed window with a suppression count: every function and status. */
static void test_fixed_window(void) {
  tg_fixed_window_config_t config;
  CHECK(tg_fixed_window_config_default(&config) == TG_OK);
  CHECK(config.burst == 10 && config.interval_ticks == 5000);
  CHECK(tg_fixed_window_config_default(NULL) == TG_E_NULL);
  CHECK(tg_fixed_window_config_check(&config) == TG_OK);
  CHECK(tg_fixed_window_config_check(NULL) == TG_E_NULL);
  const tg_fixed_window_config_t too_long = {.burst = 1, .interval_ticks = ((uint64_t)1 << 62) + 1};
  CHECK(tg_fixed_window_config_check(&too_long) == TG_E_CONFIG_INTERVAL);

  static tg_fixed_window_t w; /* zeroed: not initialised */
  tg_fixed_window_decision_t d = {.missed = 77, .has_retry_at = false, .retry_at = 99};
  CHECK(tg_fixed_window_acquire(&w, 1, 0, &d) == TG_E_UNINITIALIZED && d.missed == 77);
  CHECK(tg_fixed_window_init(&w, &too_long) == TG_E_CONFIG_INTERVAL);
  CHECK(tg_fixed_window_init(NULL, &config) == TG_E_NULL);
  const tg_fixed_window_config_t two_per_100 = {.burst = 2, .interval_ticks = 100};
  CHECK(tg_fixed_window_init(&w, &two_per_100) == TG_OK);
  CHECK(tg_fixed_window_init(&w, &two_per_100) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_fixed_window_init_ex(&w, &two_per_100, 0x80) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_fixed_window_init_ex(&w, &two_per_100, TG_INIT_REINIT) == TG_OK);

  CHECK(tg_fixed_window_acquire(&w, 1, 1000, NULL) == TG_E_NULL);
  CHECK(tg_fixed_window_acquire(&w, 2, 1000, &d) == TG_OK && d.missed == 0);
  CHECK(tg_fixed_window_acquire(&w, 1, 1001, &d) == TG_REFUSED && d.has_retry_at && d.retry_at == 1100);
  CHECK(tg_fixed_window_acquire(&w, 3, 1002, &d) == TG_REFUSED && !d.has_retry_at); /* never fits */
  uint32_t remaining = 0, missed = 0;
  CHECK(tg_fixed_window_remaining(&w, 1099, &remaining) == TG_OK && remaining == 0);
  CHECK(tg_fixed_window_remaining(&w, 1100, &remaining) == TG_OK && remaining == 2);
  CHECK(tg_fixed_window_remaining(&w, 1100, NULL) == TG_E_NULL);

  uint8_t saved[TG_FIXED_WINDOW_SNAPSHOT_SIZE];
  CHECK(tg_fixed_window_snapshot(&w, 1050, saved, sizeof saved - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_fixed_window_snapshot(&w, 1050, saved, sizeof saved) == TG_OK);
  static tg_fixed_window_t rebooted;
  CHECK(tg_fixed_window_init(&rebooted, &two_per_100) == TG_OK);
  CHECK(tg_fixed_window_restore(&rebooted, saved, sizeof saved, 0) == TG_OK);
  CHECK(tg_fixed_window_acquire(&rebooted, 1, 49, &d) == TG_REFUSED && d.retry_at == 50);
  CHECK(tg_fixed_window_acquire(&rebooted, 1, 50, &d) == TG_OK && d.missed == 5);
  CHECK(tg_fixed_window_restore(&rebooted, saved, sizeof saved - 1, 0) == TG_E_SNAPSHOT_TRUNCATED);

  /* The missed count is reported once: taken here, not at the roll-over. */
  CHECK(tg_fixed_window_take_missed(&w, &missed) == TG_OK && missed == 4);
  CHECK(tg_fixed_window_take_missed(&w, NULL) == TG_E_NULL);
  CHECK(tg_fixed_window_acquire(&w, 1, 1100, &d) == TG_OK && d.missed == 0);
  CHECK(tg_fixed_window_reset(&w) == TG_OK);
  CHECK(tg_fixed_window_remaining(&w, 1101, &remaining) == TG_OK && remaining == 2);

  /* Live reconfiguration: the window keeps its count and its end; the new
   * burst applies at once, the new interval from the next window. */
  CHECK(tg_fixed_window_acquire(&w, 2, 2000, &d) == TG_OK);
  const tg_fixed_window_config_t five_per_1000 = {.burst = 5, .interval_ticks = 1000};
  CHECK(tg_fixed_window_reconfigure(&w, &five_per_1000) == TG_OK);
  CHECK(tg_fixed_window_remaining(&w, 2050, &remaining) == TG_OK && remaining == 3);
  CHECK(tg_fixed_window_acquire(&w, 3, 2050, &d) == TG_OK);
  CHECK(tg_fixed_window_acquire(&w, 1, 2060, &d) == TG_REFUSED && d.retry_at == 2100);
  CHECK(tg_fixed_window_acquire(&w, 1, 2100, &d) == TG_OK && d.missed == 1);
  CHECK(tg_fixed_window_remaining(&w, 3099, &remaining) == TG_OK && remaining == 4); /* 1 000 ticks now */
  CHECK(tg_fixed_window_reconfigure(&w, &too_long) == TG_E_CONFIG_INTERVAL);
  CHECK(tg_fixed_window_remaining(&w, 3099, &remaining) == TG_OK && remaining == 4); /* unchanged */
  CHECK(tg_fixed_window_reconfigure(NULL, &five_per_1000) == TG_E_NULL);
  CHECK(tg_fixed_window_reconfigure(&w, NULL) == TG_E_NULL);
  CHECK(tg_fixed_window_reconfigure(&w, &two_per_100) == TG_OK);
  CHECK(tg_fixed_window_reset(&w) == TG_OK);

  /* interval 0 admits everything; burst 0 denies everything and counts. */
  const tg_fixed_window_config_t open = {.burst = 0, .interval_ticks = 0};
  const tg_fixed_window_config_t mute = {.burst = 0, .interval_ticks = 10};
  CHECK(tg_fixed_window_init_ex(&w, &open, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_fixed_window_acquire(&w, 1000, 5, &d) == TG_OK);
  CHECK(tg_fixed_window_init_ex(&w, &mute, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_fixed_window_acquire(&w, 1, 5, &d) == TG_REFUSED && !d.has_retry_at);
  CHECK(tg_fixed_window_acquire(&w, 1, 15, &d) == TG_REFUSED && d.missed == 1);

  CHECK(tg_fixed_window_deinit(&w) == TG_OK);
  CHECK(tg_fixed_window_reset(&w) == TG_E_UNINITIALIZED);
  CHECK(tg_fixed_window_reconfigure(&w, &two_per_100) == TG_E_UNINITIALIZED);
  CHECK(tg_fixed_window_take_missed(&w, &missed) == TG_E_UNINITIALIZED);
  CHECK(tg_fixed_window_deinit(&w) == TG_E_UNINITIALIZED);
}

/* The shaper (leaky bucket as a queue): every function and status. */
static void test_shaper(void) {
  tg_shaper_config_t config;
  CHECK(tg_shaper_config_default(&config) == TG_OK);
  CHECK(config.capacity == 1 && config.tokens == 10 && config.period_ticks == 1000 && config.max_wait_ticks == 2000);
  CHECK(tg_shaper_config_default(NULL) == TG_E_NULL);
  CHECK(tg_shaper_config_check(&config) == TG_OK);
  CHECK(tg_shaper_config_check(NULL) == TG_E_NULL);
  tg_shaper_config_t bad = config;
  bad.max_wait_ticks = ((uint64_t)1 << 62) + 1;
  CHECK(tg_shaper_config_check(&bad) == TG_E_CONFIG_MAX_WAIT);
  bad = config;
  bad.capacity = 0;
  CHECK(tg_shaper_config_check(&bad) == TG_E_CONFIG_ZERO_CAPACITY);

  static tg_shaper_t s; /* zeroed: not initialised */
  uint64_t send_at = 7, retry_at = 9;
  CHECK(tg_shaper_schedule(&s, 1, 0, &send_at, &retry_at) == TG_E_UNINITIALIZED && send_at == 7);
  CHECK(tg_shaper_init(&s, &bad) == TG_E_CONFIG_ZERO_CAPACITY);
  const tg_shaper_config_t every_100 = {.capacity = 1, .tokens = 1, .period_ticks = 100, .max_wait_ticks = 250};
  CHECK(tg_shaper_init(&s, &every_100) == TG_OK);
  CHECK(tg_shaper_init(&s, &every_100) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_shaper_init_ex(&s, &every_100, 0x40) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_shaper_init_ex(&s, &every_100, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_shaper_schedule(&s, 1, 1000, NULL, NULL) == TG_E_NULL);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1000);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1100);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1200);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, &retry_at) == TG_REFUSED && retry_at == 1050 && send_at == 1200);
  CHECK(tg_shaper_schedule(&s, 2, 1000, &send_at, &retry_at) == TG_E_EXCEEDS_CAPACITY);
  CHECK(tg_shaper_schedule(&s, 0, 1000, &send_at, NULL) == TG_OK && send_at == 1000);

  uint8_t saved[TG_SHAPER_SNAPSHOT_SIZE];
  CHECK(tg_shaper_snapshot(&s, 1000, saved, sizeof saved - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_shaper_snapshot(&s, 1000, saved, sizeof saved) == TG_OK);
  static tg_shaper_t rebooted;
  CHECK(tg_shaper_init(&rebooted, &every_100) == TG_OK);
  CHECK(tg_shaper_restore(&rebooted, saved, sizeof saved, 0) == TG_OK);
  CHECK(tg_shaper_schedule(&rebooted, 1, 50, &send_at, NULL) == TG_OK && send_at == 300);
  CHECK(tg_shaper_reset(&s) == TG_OK);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1000);
  /* Live reconfiguration: sends given keep their ticks; a queue is kept
   * as time and later requests follow it at the new rate. */
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1100);
  const tg_shaper_config_t every_50 = {.capacity = 1, .tokens = 1, .period_ticks = 50, .max_wait_ticks = 250};
  CHECK(tg_shaper_reconfigure(&s, &every_50, 1000) == TG_OK);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1150);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1200);
  CHECK(tg_shaper_reconfigure(&s, &bad, 1000) == TG_E_CONFIG_ZERO_CAPACITY);
  CHECK(tg_shaper_reconfigure(&s, NULL, 1000) == TG_E_NULL);
  CHECK(tg_shaper_reconfigure(NULL, &every_50, 1000) == TG_E_NULL);
  CHECK(tg_shaper_schedule(&s, 1, 1000, &send_at, NULL) == TG_OK && send_at == 1250); /* kept its configuration */
  CHECK(tg_shaper_reconfigure(&s, &every_100, 1000) == TG_OK);
  CHECK(tg_shaper_deinit(&s) == TG_OK);
  CHECK(tg_shaper_reset(&s) == TG_E_UNINITIALIZED);
  CHECK(tg_shaper_reconfigure(&s, &every_100, 0) == TG_E_UNINITIALIZED);
  CHECK(tg_shaper_deinit(&s) == TG_E_UNINITIALIZED);
}

/* The sliding-window counter: every function and status. */
static void test_sliding_window(void) {
  tg_sliding_window_config_t config;
  CHECK(tg_sliding_window_config_default(&config) == TG_OK);
  CHECK(config.limit == 100 && config.window_ticks == 60000);
  CHECK(tg_sliding_window_config_default(NULL) == TG_E_NULL);
  CHECK(tg_sliding_window_config_check(&config) == TG_OK);
  CHECK(tg_sliding_window_config_check(NULL) == TG_E_NULL);
  const tg_sliding_window_config_t no_limit = {.limit = 0, .window_ticks = 10};
  const tg_sliding_window_config_t no_window = {.limit = 1, .window_ticks = 0};
  CHECK(tg_sliding_window_config_check(&no_limit) == TG_E_CONFIG_LIMIT);
  CHECK(tg_sliding_window_config_check(&no_window) == TG_E_CONFIG_WINDOW);

  static tg_sliding_window_t w; /* zeroed: not initialised */
  uint64_t retry_at = 9;
  uint32_t available = 0;
  CHECK(tg_sliding_window_acquire(&w, 1, 0, &retry_at) == TG_E_UNINITIALIZED && retry_at == 9);
  CHECK(tg_sliding_window_init(&w, &no_limit) == TG_E_CONFIG_LIMIT);
  const tg_sliding_window_config_t ten_per_1000 = {.limit = 10, .window_ticks = 1000};
  CHECK(tg_sliding_window_init(&w, &ten_per_1000) == TG_OK);
  CHECK(tg_sliding_window_init(&w, &ten_per_1000) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_sliding_window_init_ex(&w, &ten_per_1000, 0x10) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_sliding_window_init_ex(&w, &ten_per_1000, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_sliding_window_acquire(&w, 10, 0, NULL) == TG_OK);
  CHECK(tg_sliding_window_acquire(&w, 1, 0, &retry_at) == TG_REFUSED && retry_at == 1100);
  CHECK(tg_sliding_window_acquire(&w, 11, 0, &retry_at) == TG_E_EXCEEDS_CAPACITY);
  /* Half-way into the next window, half of the first still counts. */
  CHECK(tg_sliding_window_available(&w, 1500, &available) == TG_OK && available == 5);
  CHECK(tg_sliding_window_available(&w, 1500, NULL) == TG_E_NULL);
  CHECK(tg_sliding_window_acquire(&w, 5, 1500, NULL) == TG_OK);

  uint8_t saved[TG_SLIDING_WINDOW_SNAPSHOT_SIZE];
  CHECK(tg_sliding_window_snapshot(&w, 1500, saved, sizeof saved - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_sliding_window_snapshot(&w, 1500, saved, sizeof saved) == TG_OK);
  static tg_sliding_window_t rebooted;
  CHECK(tg_sliding_window_init(&rebooted, &ten_per_1000) == TG_OK);
  CHECK(tg_sliding_window_restore(&rebooted, saved, sizeof saved, 5000) == TG_OK);
  CHECK(tg_sliding_window_available(&rebooted, 5000, &available) == TG_OK && available == 0);
  CHECK(tg_sliding_window_restore(&rebooted, saved, sizeof saved - 1, 5000) == TG_E_SNAPSHOT_TRUNCATED);
  /* Live reconfiguration: the counts stay, a new limit applies at once. */
  const tg_sliding_window_config_t twenty_per_1000 = {.limit = 20, .window_ticks = 1000};
  CHECK(tg_sliding_window_reconfigure(&w, &twenty_per_1000) == TG_OK);
  CHECK(tg_sliding_window_available(&w, 1500, &available) == TG_OK && available == 10);
  CHECK(tg_sliding_window_acquire(&w, 10, 1500, NULL) == TG_OK);
  CHECK(tg_sliding_window_acquire(&w, 20, 1500, NULL) == TG_REFUSED);
  CHECK(tg_sliding_window_acquire(&w, 21, 1500, NULL) == TG_E_EXCEEDS_CAPACITY);
  CHECK(tg_sliding_window_reconfigure(&w, &no_window) == TG_E_CONFIG_WINDOW);
  CHECK(tg_sliding_window_reconfigure(&w, &no_limit) == TG_E_CONFIG_LIMIT);
  CHECK(tg_sliding_window_reconfigure(&w, NULL) == TG_E_NULL);
  CHECK(tg_sliding_window_reconfigure(NULL, &ten_per_1000) == TG_E_NULL);
  CHECK(tg_sliding_window_reconfigure(&w, &ten_per_1000) == TG_OK);
  CHECK(tg_sliding_window_available(&w, 1500, &available) == TG_OK && available == 0);
  CHECK(tg_sliding_window_reset(&w) == TG_OK);
  CHECK(tg_sliding_window_available(&w, 1500, &available) == TG_OK && available == 10);
  CHECK(tg_sliding_window_deinit(&w) == TG_OK);
  CHECK(tg_sliding_window_reset(&w) == TG_E_UNINITIALIZED);
  CHECK(tg_sliding_window_reconfigure(&w, &ten_per_1000) == TG_E_UNINITIALIZED);
  CHECK(tg_sliding_window_deinit(&w) == TG_E_UNINITIALIZED);
}

/* The bulkhead: every function and status. */
static void test_bulkhead(void) {
  tg_bulkhead_config_t config;
  CHECK(tg_bulkhead_config_default(&config) == TG_OK);
  CHECK(config.max_concurrent == 25 && config.max_wait_ticks == 0);
  CHECK(tg_bulkhead_config_default(NULL) == TG_E_NULL);
  CHECK(tg_bulkhead_config_check(&config) == TG_OK);
  CHECK(tg_bulkhead_config_check(NULL) == TG_E_NULL);
  const tg_bulkhead_config_t too_many = {.max_concurrent = 65, .max_wait_ticks = 0};
  const tg_bulkhead_config_t too_long = {.max_concurrent = 1, .max_wait_ticks = ((uint64_t)1 << 62) + 1};
  CHECK(tg_bulkhead_config_check(&too_many) == TG_E_CONFIG_MAX_CONCURRENT);
  CHECK(tg_bulkhead_config_check(&too_long) == TG_E_CONFIG_MAX_WAIT);

  static tg_bulkhead_t b, other; /* zeroed: not initialised */
  tg_bulkhead_permit_t first = 0, second = 0, third = 7, foreign = 0;
  uint64_t wait_until = 9;
  uint32_t in_flight = 0;
  CHECK(tg_bulkhead_acquire(&b, 0, &first, NULL) == TG_E_UNINITIALIZED && first == 0);
  CHECK(tg_bulkhead_init(&b, &too_many) == TG_E_CONFIG_MAX_CONCURRENT);
  const tg_bulkhead_config_t two = {.max_concurrent = 2, .max_wait_ticks = 100};
  CHECK(tg_bulkhead_init(&b, &two) == TG_OK);
  CHECK(tg_bulkhead_init(&b, &two) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_bulkhead_init_ex(&b, &two, 0x20) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_bulkhead_init_ex(&b, &two, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_bulkhead_acquire(&b, 0, NULL, NULL) == TG_E_NULL);
  CHECK(tg_bulkhead_acquire(&b, 0, &first, NULL) == TG_OK && first != 0);
  CHECK(tg_bulkhead_acquire(&b, 0, &second, NULL) == TG_OK && second != 0 && second != first);
  CHECK(tg_bulkhead_acquire(&b, 50, &third, &wait_until) == TG_REFUSED && third == 7 && wait_until == 150);
  CHECK(tg_bulkhead_in_flight(&b, &in_flight) == TG_OK && in_flight == 2);
  CHECK(tg_bulkhead_in_flight(&b, NULL) == TG_E_NULL);
  /* Misuse is detected, and the count never underflows. */
  CHECK(tg_bulkhead_init(&other, &two) == TG_OK);
  CHECK(tg_bulkhead_acquire(&other, 0, &foreign, NULL) == TG_OK);
  CHECK(tg_bulkhead_release(&b, foreign) == TG_E_NOT_HELD);
  CHECK(tg_bulkhead_release(&b, 0) == TG_E_NOT_HELD);
  CHECK(tg_bulkhead_release(&b, first) == TG_OK);
  CHECK(tg_bulkhead_release(&b, first) == TG_E_NOT_HELD);
  CHECK(tg_bulkhead_in_flight(&b, &in_flight) == TG_OK && in_flight == 1);
  /* Live reconfiguration: the call in flight keeps its slot; the limit goes
   * down to 1 (full now) and back up to the 4 slots two lays out. */
  const tg_bulkhead_config_t one = {.max_concurrent = 1, .max_wait_ticks = 10};
  const tg_bulkhead_config_t four = {.max_concurrent = 4, .max_wait_ticks = 0};
  const tg_bulkhead_config_t five = {.max_concurrent = 5, .max_wait_ticks = 0};
  CHECK(tg_bulkhead_reconfigure(&b, &one) == TG_OK);
  CHECK(tg_bulkhead_acquire(&b, 50, &third, &wait_until) == TG_REFUSED && wait_until == 60);
  CHECK(tg_bulkhead_reconfigure(&b, &five) == TG_E_CONFIG_MAX_CONCURRENT);
  CHECK(tg_bulkhead_reconfigure(&b, &too_long) == TG_E_CONFIG_MAX_WAIT);
  CHECK(tg_bulkhead_reconfigure(&b, NULL) == TG_E_NULL);
  CHECK(tg_bulkhead_reconfigure(NULL, &four) == TG_E_NULL);
  CHECK(tg_bulkhead_reconfigure(&b, &four) == TG_OK);
  tg_bulkhead_permit_t more[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) CHECK(tg_bulkhead_acquire(&b, 0, &more[i], NULL) == TG_OK);
  CHECK(tg_bulkhead_acquire(&b, 0, &third, NULL) == TG_REFUSED);
  for (int i = 0; i < 3; i++) CHECK(tg_bulkhead_release(&b, more[i]) == TG_OK);
  CHECK(tg_bulkhead_reconfigure(&b, &two) == TG_OK);
  CHECK(tg_bulkhead_reset(&b) == TG_OK);
  CHECK(tg_bulkhead_release(&b, second) == TG_E_NOT_HELD);
  CHECK(tg_bulkhead_in_flight(&b, &in_flight) == TG_OK && in_flight == 0);
  CHECK(tg_bulkhead_deinit(&b) == TG_OK);
  CHECK(tg_bulkhead_reset(&b) == TG_E_UNINITIALIZED);
  CHECK(tg_bulkhead_reconfigure(&b, &two) == TG_E_UNINITIALIZED);
  CHECK(tg_bulkhead_deinit(&b) == TG_E_UNINITIALIZED);
}

/* Keyed buckets: every function and status. */
static TG_KEYED_TABLE(one_entry, 1);
static TG_KEYED_TABLE(clients, 64);
static void test_keyed(void) {
  const tg_bucket_config_t limit = {.capacity = 2, .tokens = 1, .period_ticks = 100, .initial_fill = TG_BUCKET_FULL};
  const tg_bucket_config_t bad = {.capacity = 0, .tokens = 1, .period_ticks = 100, .initial_fill = TG_BUCKET_FULL};
  uint64_t retry_at = 0;
  uint32_t available = 9;
  size_t limiting = 9;
  CHECK(TG_KEYED_LEN(one_entry) == 1 && TG_KEYED_LEN(clients) == 64);
  CHECK(sizeof(tg_keyed_entry_t) == 16 && sizeof(tg_keyed_table_t) == 176);
  CHECK(tg_keyed_acquire_u64(&one_entry.table, one_entry.entries, 1, 5, 1, 0, &retry_at) == TG_E_UNINITIALIZED);
  CHECK(tg_keyed_init(&one_entry.table, one_entry.entries, 0, &limit, 1, 2, TG_INIT_DEFAULT) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_keyed_init(&one_entry.table, NULL, 1, &limit, 1, 2, TG_INIT_DEFAULT) == TG_E_NULL);
  CHECK(tg_keyed_init(&one_entry.table, one_entry.entries, 1, &bad, 1, 2, TG_INIT_DEFAULT) == TG_E_CONFIG_ZERO_CAPACITY);
  CHECK(tg_keyed_init(&one_entry.table, one_entry.entries, TG_KEYED_LEN(one_entry), &limit, 1, 2, TG_INIT_DEFAULT) == TG_OK);
  CHECK(tg_keyed_init(&one_entry.table, one_entry.entries, 1, &limit, 1, 2, TG_INIT_DEFAULT) == TG_E_ALREADY_INITIALIZED);
  /* One entry: a second key waits until the first is full again. */
  CHECK(tg_keyed_acquire_u64(&one_entry.table, one_entry.entries, 1, 5, 1, 0, NULL) == TG_OK);
  CHECK(tg_keyed_acquire_u64(&one_entry.table, one_entry.entries, 1, 6, 1, 10, &retry_at) == TG_TABLE_FULL && retry_at == 100);
  CHECK(tg_keyed_acquire_u64(&one_entry.table, one_entry.entries, 1, 5, 2, 10, &retry_at) == TG_REFUSED && retry_at == 100);
  CHECK(tg_keyed_acquire_u64(&one_entry.table, one_entry.entries, 1, 5, 3, 10, &retry_at) == TG_E_EXCEEDS_CAPACITY);
  CHECK(tg_keyed_available_u64(&one_entry.table, one_entry.entries, 1, 6, 10, &available) == TG_OK && available == 0);
  CHECK(tg_keyed_available_u64(&one_entry.table, one_entry.entries, 1, 6, 100, &available) == TG_OK && available == 2);
  CHECK(tg_keyed_available_u64(&one_entry.table, one_entry.entries, 1, 6, 100, NULL) == TG_E_NULL);
  CHECK(tg_keyed_limiting(&one_entry.table, one_entry.entries, 1, 10, &limiting) == TG_OK && limiting == 1);
  CHECK(tg_keyed_limiting(&one_entry.table, one_entry.entries, 1, 10, NULL) == TG_E_NULL);
  const uint8_t v6[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  CHECK(tg_keyed_acquire_bytes(&one_entry.table, one_entry.entries, 1, v6, sizeof v6, 1, 100, NULL) == TG_OK);
  CHECK(tg_keyed_acquire_bytes(&one_entry.table, one_entry.entries, 1, v6, TG_KEYED_MAX_KEY_BYTES + 1, 1, 100, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_keyed_acquire_bytes(&one_entry.table, one_entry.entries, 1, NULL, 0, 1, 100, NULL) == TG_E_NULL);
  CHECK(tg_keyed_available_bytes(&one_entry.table, one_entry.entries, 1, v6, sizeof v6, 100, &available) == TG_OK && available == 1);
  /* The entries and their count must be the table's own. */
  CHECK(tg_keyed_acquire_u64(&one_entry.table, clients.entries, 1, 5, 1, 0, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_keyed_acquire_u64(&one_entry.table, one_entry.entries, 2, 5, 1, 0, NULL) == TG_E_INVALID_ARGUMENT);
  /* Live reconfiguration: the key holding the entry (1 token of 2 at tick
   * 100) keeps its token under 1 per 50 ticks, capacity 4; the entry is
   * still its, until it is full again. */
  const tg_bucket_config_t faster = {.capacity = 4, .tokens = 1, .period_ticks = 50, .initial_fill = TG_BUCKET_FULL};
  CHECK(tg_keyed_available_bytes(&one_entry.table, one_entry.entries, 1, v6, sizeof v6, 100, &available) == TG_OK && available == 1);
  CHECK(tg_keyed_reconfigure(&one_entry.table, one_entry.entries, 1, &faster, 100) == TG_OK);
  CHECK(tg_keyed_available_bytes(&one_entry.table, one_entry.entries, 1, v6, sizeof v6, 100, &available) == TG_OK && available == 1);
  CHECK(tg_keyed_available_bytes(&one_entry.table, one_entry.entries, 1, v6, sizeof v6, 150, &available) == TG_OK && available == 2);
  CHECK(tg_keyed_acquire_u64(&one_entry.table, one_entry.entries, 1, 6, 1, 150, &retry_at) == TG_TABLE_FULL && retry_at == 250);
  CHECK(tg_keyed_reconfigure(&one_entry.table, one_entry.entries, 1, &bad, 150) == TG_E_CONFIG_ZERO_CAPACITY);
  CHECK(tg_keyed_reconfigure(&one_entry.table, one_entry.entries, 1, NULL, 150) == TG_E_NULL);
  CHECK(tg_keyed_reconfigure(&one_entry.table, clients.entries, 1, &faster, 150) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_keyed_reconfigure(NULL, one_entry.entries, 1, &faster, 150) == TG_E_NULL);
  CHECK(tg_keyed_reset(&one_entry.table, one_entry.entries, 1) == TG_OK);
  CHECK(tg_keyed_limiting(&one_entry.table, one_entry.entries, 1, 10, &limiting) == TG_OK && limiting == 0);
  CHECK(tg_keyed_available_u64(&one_entry.table, one_entry.entries, 1, 6, 150, &available) == TG_OK && available == 4);
  CHECK(tg_keyed_deinit(&one_entry.table) == TG_OK);
  CHECK(tg_keyed_reconfigure(&one_entry.table, one_entry.entries, 1, &faster, 150) == TG_E_UNINITIALIZED);
  CHECK(tg_keyed_reset(&one_entry.table, one_entry.entries, 1) == TG_E_UNINITIALIZED);
  CHECK(tg_keyed_deinit(&one_entry.table) == TG_E_UNINITIALIZED);
  /* 64 entries, 32 clients: each its own limit (or, rarely, a shared entry refused). */
  CHECK(tg_keyed_init(&clients.table, clients.entries, TG_KEYED_LEN(clients), &limit, 7, 8, TG_INIT_DEFAULT) == TG_OK);
  unsigned granted = 0;
  for (uint64_t client = 0; client < 32; client++) {
    granted += tg_keyed_acquire_u64(&clients.table, clients.entries, TG_KEYED_LEN(clients), client, 2, 0, NULL) == TG_OK;
  }
  CHECK(granted >= 20);
  CHECK(tg_keyed_acquire_u64(&clients.table, clients.entries, TG_KEYED_LEN(clients), 3, 1, 0, NULL) != TG_OK);
  /* A snapshot of the whole table, restored after a "reboot" (tick 0
   * again, at the snapshot's own tick): client 3 is still limited. */
  static uint8_t table_saved[TG_KEYED_SNAPSHOT_SIZE(64)];
  CHECK(sizeof table_saved == 12 + 21 * 64);
  CHECK(tg_keyed_snapshot(&clients.table, clients.entries, TG_KEYED_LEN(clients), 0, table_saved, sizeof table_saved - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_keyed_snapshot(&clients.table, clients.entries, TG_KEYED_LEN(clients), 0, NULL, sizeof table_saved) == TG_E_NULL);
  CHECK(tg_keyed_snapshot(&clients.table, clients.entries, 3, 0, table_saved, sizeof table_saved) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_keyed_snapshot(&clients.table, clients.entries, TG_KEYED_LEN(clients), 0, table_saved, sizeof table_saved) == TG_OK);
  CHECK(tg_keyed_reset(&clients.table, clients.entries, TG_KEYED_LEN(clients)) == TG_OK);
  CHECK(tg_keyed_acquire_u64(&clients.table, clients.entries, TG_KEYED_LEN(clients), 3, 1, 0, NULL) == TG_OK);
  CHECK(tg_keyed_restore(&clients.table, clients.entries, TG_KEYED_LEN(clients), table_saved, sizeof table_saved, 0) == TG_OK);
  CHECK(tg_keyed_acquire_u64(&clients.table, clients.entries, TG_KEYED_LEN(clients), 3, 1, 0, NULL) != TG_OK);
  CHECK(tg_keyed_restore(&clients.table, clients.entries, TG_KEYED_LEN(clients), table_saved, sizeof table_saved - 1, 0) == TG_E_SNAPSHOT_TRUNCATED);
  CHECK(tg_keyed_limiting(&clients.table, clients.entries, TG_KEYED_LEN(clients), 0, &limiting) == TG_OK && limiting == 0); /* left empty */
  CHECK(tg_keyed_restore(&clients.table, clients.entries, TG_KEYED_LEN(clients), NULL, sizeof table_saved, 0) == TG_E_NULL);
  table_saved[20] ^= 1;
  CHECK(tg_keyed_restore(&clients.table, clients.entries, TG_KEYED_LEN(clients), table_saved, sizeof table_saved, 0) == TG_E_SNAPSHOT_CORRUPT);
  table_saved[20] ^= 1;
  /* Another seed puts keys elsewhere: its table refuses the snapshot. */
  CHECK(tg_keyed_init(&clients.table, clients.entries, TG_KEYED_LEN(clients), &limit, 7, 9, TG_INIT_REINIT) == TG_OK);
  CHECK(tg_keyed_restore(&clients.table, clients.entries, TG_KEYED_LEN(clients), table_saved, sizeof table_saved, 0) == TG_E_SNAPSHOT_CONFIG);
}

static TG_SLIDING_LOG(logins, 3);
static TG_SLIDING_LOG(other_log, 1);

static void test_sliding_log(void) {
  const tg_sliding_log_config_t per_second = {.window_ticks = 1000};
  const tg_sliding_log_config_t bad = {.window_ticks = 0};
  tg_sliding_log_config_t defaults;
  uint64_t retry_at = 0;
  uint32_t available = 9;
  CHECK(TG_SLIDING_LOG_LEN(logins) == 3 && sizeof(tg_sliding_log_entry_t) == 16);
  CHECK(sizeof(tg_sliding_log_t) == 64 && _Alignof(tg_sliding_log_t) == 16);
  CHECK(tg_sliding_log_config_default(&defaults) == TG_OK && defaults.window_ticks == 1000);
  CHECK(tg_sliding_log_config_default(NULL) == TG_E_NULL);
  CHECK(tg_sliding_log_config_check(&per_second) == TG_OK);
  CHECK(tg_sliding_log_config_check(&bad) == TG_E_CONFIG_WINDOW);
  CHECK(tg_sliding_log_config_check(NULL) == TG_E_NULL);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 0, &retry_at) == TG_E_UNINITIALIZED);
  CHECK(tg_sliding_log_init(&logins.log, logins.entries, 0, &per_second, TG_INIT_DEFAULT) == TG_E_CONFIG_LIMIT);
  CHECK(tg_sliding_log_init(&logins.log, logins.entries, 65537, &per_second, TG_INIT_DEFAULT) == TG_E_CONFIG_LIMIT);
  CHECK(tg_sliding_log_init(&logins.log, NULL, 3, &per_second, TG_INIT_DEFAULT) == TG_E_NULL);
  CHECK(tg_sliding_log_init(&logins.log, logins.entries, 3, &bad, TG_INIT_DEFAULT) == TG_E_CONFIG_WINDOW);
  CHECK(tg_sliding_log_init(&logins.log, logins.entries, 3, &per_second, 0x80) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_sliding_log_init(NULL, logins.entries, 3, &per_second, TG_INIT_DEFAULT) == TG_E_NULL);
  CHECK(tg_sliding_log_init(&logins.log, logins.entries, TG_SLIDING_LOG_LEN(logins), &per_second, TG_INIT_DEFAULT) == TG_OK);
  CHECK(tg_sliding_log_init(&logins.log, logins.entries, 3, &per_second, TG_INIT_DEFAULT) == TG_E_ALREADY_INITIALIZED);
  /* Three per 1 000 ticks, exactly: the fourth waits for the first to leave. */
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 100, NULL) == TG_OK);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 600, NULL) == TG_OK);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 900, &retry_at) == TG_OK);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 950, &retry_at) == TG_REFUSED && retry_at == 1100);
  /* A lagging caller counts as the latest admission: refused alike. */
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 5, &retry_at) == TG_REFUSED && retry_at == 1100);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1099, &available) == TG_OK && available == 0);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1100, &available) == TG_OK && available == 1);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1100, NULL) == TG_E_NULL);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 1100, NULL) == TG_OK);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 1100, &retry_at) == TG_REFUSED && retry_at == 1600);
  /* The entries and their count must be the log's own. */
  CHECK(tg_sliding_log_acquire(&logins.log, other_log.entries, 3, 0, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 2, 0, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_sliding_log_acquire(&logins.log, NULL, 3, 0, NULL) == TG_E_NULL);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 4, 0, &available) == TG_E_INVALID_ARGUMENT);
  /* Live reconfiguration: the admissions keep their ticks; a shorter
   * window lets the older ones out at once. */
  const tg_sliding_log_config_t per_200 = {.window_ticks = 200};
  CHECK(tg_sliding_log_reconfigure(&logins.log, &per_200) == TG_OK);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1200, &available) == TG_OK && available == 2);
  CHECK(tg_sliding_log_reconfigure(&logins.log, &bad) == TG_E_CONFIG_WINDOW);
  CHECK(tg_sliding_log_reconfigure(&logins.log, NULL) == TG_E_NULL);
  CHECK(tg_sliding_log_reconfigure(NULL, &per_200) == TG_E_NULL);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1200, &available) == TG_OK && available == 2);
  CHECK(tg_sliding_log_reconfigure(&logins.log, &per_second) == TG_OK);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1200, &available) == TG_OK && available == 0);
  /* A snapshot, restored after a "reboot": the counter starts at 0 again. */
  uint8_t saved[TG_SLIDING_LOG_SNAPSHOT_SIZE(3)];
  CHECK(sizeof saved == 40);
  CHECK(tg_sliding_log_snapshot(&logins.log, logins.entries, 3, 1200, saved, sizeof saved - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_sliding_log_snapshot(&logins.log, logins.entries, 3, 1200, NULL, sizeof saved) == TG_E_NULL);
  CHECK(tg_sliding_log_snapshot(&logins.log, logins.entries, 3, 1200, saved, sizeof saved) == TG_OK);
  CHECK(tg_sliding_log_reset(&logins.log, logins.entries, 3) == TG_OK);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1100, &available) == TG_OK && available == 3);
  CHECK(tg_sliding_log_restore(&logins.log, logins.entries, 3, saved, sizeof saved, 1000) == TG_OK);
  /* Admissions at 600, 900, 1100 were 600, 300, 100 ticks before the snapshot. */
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 1000, &available) == TG_OK && available == 0);
  CHECK(tg_sliding_log_acquire(&logins.log, logins.entries, 3, 1000, &retry_at) == TG_REFUSED && retry_at == 1400);
  saved[12] ^= 1;
  CHECK(tg_sliding_log_restore(&logins.log, logins.entries, 3, saved, sizeof saved, 100) == TG_E_SNAPSHOT_CORRUPT);
  CHECK(tg_sliding_log_available(&logins.log, logins.entries, 3, 100, &available) == TG_OK && available == 3);
  CHECK(tg_sliding_log_restore(&logins.log, logins.entries, 3, NULL, 0, 100) == TG_E_NULL);
  CHECK(tg_sliding_log_deinit(&logins.log) == TG_OK);
  CHECK(tg_sliding_log_reset(&logins.log, logins.entries, 3) == TG_E_UNINITIALIZED);
  CHECK(tg_sliding_log_reconfigure(&logins.log, &per_second) == TG_E_UNINITIALIZED);
  CHECK(tg_sliding_log_deinit(&logins.log) == TG_E_UNINITIALIZED);
  /* A copy of a live header is refused. */
  CHECK(tg_sliding_log_init(&other_log.log, other_log.entries, 1, &per_second, TG_INIT_DEFAULT) == TG_OK);
  tg_sliding_log_t copy;
  memcpy(&copy, &other_log.log, sizeof copy);
  CHECK(tg_sliding_log_acquire(&copy, other_log.entries, 1, 0, NULL) == TG_E_MOVED);
  CHECK(tg_sliding_log_acquire(&other_log.log, other_log.entries, 1, 0, NULL) == TG_OK);
}

static void test_adaptive(void) {
  tg_adaptive_config_t config;
  CHECK(tg_adaptive_config_default(&config) == TG_OK);
  CHECK(config.initial_limit == 20 && config.min_limit == 4 && config.max_limit == 64);
  CHECK(config.backoff_milli == 900 && config.slow_latency_ticks == 5000 && config.max_wait_ticks == 0);
  CHECK(tg_adaptive_config_default(NULL) == TG_E_NULL);
  CHECK(tg_adaptive_config_check(&config) == TG_OK);
  CHECK(tg_adaptive_config_check(NULL) == TG_E_NULL);
  tg_adaptive_config_t bad = config;
  bad.max_limit = 65;
  CHECK(tg_adaptive_config_check(&bad) == TG_E_CONFIG_ADAPTIVE_LIMITS);
  bad = config;
  bad.min_limit = 21;
  CHECK(tg_adaptive_config_check(&bad) == TG_E_CONFIG_ADAPTIVE_LIMITS);
  bad = config;
  bad.backoff_milli = 1000;
  CHECK(tg_adaptive_config_check(&bad) == TG_E_CONFIG_BACKOFF_RATIO);
  bad = config;
  bad.slow_latency_ticks = ((uint64_t)1 << 62) + 1;
  CHECK(tg_adaptive_config_check(&bad) == TG_E_CONFIG_LATENCY);
  bad = config;
  bad.max_wait_ticks = ((uint64_t)1 << 62) + 1;
  CHECK(tg_adaptive_config_check(&bad) == TG_E_CONFIG_MAX_WAIT);

  static tg_adaptive_t a, other; /* zeroed: not initialised */
  const tg_adaptive_config_t small = {
      .initial_limit = 2, .min_limit = 1, .max_limit = 4, .backoff_milli = 500, .slow_latency_ticks = 100, .max_wait_ticks = 10};
  tg_bulkhead_permit_t first = 0, second = 0, third = 7, foreign = 0;
  uint64_t wait_until = 0;
  uint32_t limit = 0, in_flight = 9;
  tg_limit_change_t change = {.changed = true, .from = 9, .to = 9};
  CHECK(sizeof(tg_adaptive_t) == 160 && _Alignof(tg_adaptive_t) == 16);
  CHECK(tg_adaptive_acquire(&a, 0, &first, NULL) == TG_E_UNINITIALIZED && first == 0);
  CHECK(tg_adaptive_init(&a, &bad) == TG_E_CONFIG_MAX_WAIT);
  CHECK(tg_adaptive_init(&a, &small) == TG_OK);
  CHECK(tg_adaptive_init(&a, &small) == TG_E_ALREADY_INITIALIZED);
  CHECK(tg_adaptive_init_ex(&a, &small, 0x40) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_adaptive_state(&a, &limit, &in_flight) == TG_OK && limit == 2 && in_flight == 0);
  CHECK(tg_adaptive_acquire(&a, 0, NULL, NULL) == TG_E_NULL);
  CHECK(tg_adaptive_acquire(&a, 0, &first, NULL) == TG_OK && first != 0);
  CHECK(tg_adaptive_acquire(&a, 0, &second, NULL) == TG_OK && second != first);
  CHECK(tg_adaptive_acquire(&a, 5, &third, &wait_until) == TG_REFUSED && third == 7 && wait_until == 15);
  /* A fast call at full use: one more. */
  CHECK(tg_adaptive_release(&a, first, TG_SAMPLE_DONE, 20, &change) == TG_OK);
  CHECK(change.changed && change.from == 2 && change.to == 3);
  /* A slow one: halved (at least one lower). */
  CHECK(tg_adaptive_release(&a, second, TG_SAMPLE_DONE, 101, &change) == TG_OK);
  CHECK(change.changed && change.from == 3 && change.to == 1);
  CHECK(tg_adaptive_state(&a, &limit, NULL) == TG_OK && limit == 1);
  /* Misuse: a double release, a foreign permit, an unknown sample. */
  CHECK(tg_adaptive_release(&a, second, TG_SAMPLE_DROPPED, 0, &change) == TG_E_NOT_HELD);
  CHECK(tg_adaptive_init(&other, &small) == TG_OK);
  CHECK(tg_adaptive_acquire(&other, 0, &foreign, NULL) == TG_OK);
  CHECK(tg_adaptive_release(&a, foreign, TG_SAMPLE_DROPPED, 0, NULL) == TG_E_NOT_HELD);
  CHECK(tg_adaptive_release(&other, foreign, 3, 0, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_adaptive_release(&other, foreign, TG_SAMPLE_IGNORED, 0, &change) == TG_OK && !change.changed);
  CHECK(tg_adaptive_acquire(&a, 0, &first, NULL) == TG_OK);
  CHECK(tg_adaptive_acquire(&a, 0, &third, NULL) == TG_REFUSED);
  /* The learned limit survives a reboot in a snapshot. */
  uint8_t saved[TG_ADAPTIVE_SNAPSHOT_SIZE];
  CHECK(sizeof saved == 16);
  CHECK(tg_adaptive_snapshot(&a, 0, saved, sizeof saved) == TG_OK);
  CHECK(tg_adaptive_snapshot(&a, 0, saved, sizeof saved - 1) == TG_E_SNAPSHOT_BUFFER);
  CHECK(tg_adaptive_reset(&a) == TG_OK);
  CHECK(tg_adaptive_state(&a, &limit, NULL) == TG_OK && limit == 2);
  CHECK(tg_adaptive_restore(&a, saved, sizeof saved, 99) == TG_OK);
  CHECK(tg_adaptive_state(&a, &limit, &in_flight) == TG_OK && limit == 1 && in_flight == 0);
  CHECK(tg_adaptive_restore(&other, saved, sizeof saved, 99) == TG_OK);
  saved[8] ^= 1;
  CHECK(tg_adaptive_restore(&a, saved, sizeof saved, 99) == TG_E_SNAPSHOT_CORRUPT);
  CHECK(tg_adaptive_state(&a, &limit, NULL) == TG_OK && limit == 2);
  CHECK(tg_adaptive_acquire(&a, 0, &first, NULL) == TG_OK);
  CHECK(tg_adaptive_reset(&a) == TG_OK);
  CHECK(tg_adaptive_release(&a, first, TG_SAMPLE_DONE, 0, NULL) == TG_E_NOT_HELD);
  CHECK(tg_adaptive_state(&a, &limit, &in_flight) == TG_OK && limit == 2 && in_flight == 0);
  /* Live reconfiguration: nothing learned since the reset, so the new
     initial limit; a learned one is clamped into the new bounds; the limit
     goes up to the 4 slots laid out, no further. */
  tg_adaptive_config_t wider = small, floor_two = small, too_wide = small;
  wider.initial_limit = 3;
  floor_two.min_limit = 2;
  floor_two.initial_limit = 2;
  too_wide.max_limit = 5;
  CHECK(tg_adaptive_reconfigure(&a, &wider) == TG_OK);
  CHECK(tg_adaptive_state(&a, &limit, NULL) == TG_OK && limit == 3);
  CHECK(tg_adaptive_reconfigure(&a, &too_wide) == TG_E_CONFIG_ADAPTIVE_LIMITS);
  CHECK(tg_adaptive_reconfigure(&a, &bad) == TG_E_CONFIG_MAX_WAIT);
  CHECK(tg_adaptive_reconfigure(&a, NULL) == TG_E_NULL);
  CHECK(tg_adaptive_reconfigure(NULL, &wider) == TG_E_NULL);
  CHECK(tg_adaptive_acquire(&a, 0, &first, NULL) == TG_OK);
  CHECK(tg_adaptive_release(&a, first, TG_SAMPLE_DROPPED, 0, &change) == TG_OK);
  CHECK(change.changed && change.from == 3 && change.to == 1);
  CHECK(tg_adaptive_reconfigure(&a, &floor_two) == TG_OK);
  CHECK(tg_adaptive_state(&a, &limit, NULL) == TG_OK && limit == 2);
  CHECK(tg_adaptive_deinit(&a) == TG_OK);
  CHECK(tg_adaptive_reconfigure(&a, &wider) == TG_E_UNINITIALIZED);
  CHECK(tg_adaptive_state(&a, &limit, &in_flight) == TG_E_UNINITIALIZED);
  CHECK(tg_adaptive_reset(NULL) == TG_E_NULL);
}

static TG_KEYED_WINDOWS(one_window, 1);
static TG_KEYED_WINDOWS(ips, 64);

static void test_keyed_windows(void) {
  const tg_sliding_window_config_t per_minute = {.limit = 2, .window_ticks = 100};
  const tg_sliding_window_config_t too_many = {.limit = 65536, .window_ticks = 100};
  const tg_sliding_window_config_t no_window = {.limit = 2, .window_ticks = 0};
  uint64_t retry_at = 0;
  uint32_t available = 9;
  size_t limiting = 9;
  CHECK(TG_KEYED_LEN(one_window) == 1 && sizeof(tg_keyed_windows_t) == 112);
  CHECK(tg_keyed_windows_acquire_u64(&one_window.table, one_window.entries, 1, 5, 1, 0, &retry_at) == TG_E_UNINITIALIZED);
  CHECK(tg_keyed_windows_init(&one_window.table, one_window.entries, 0, &per_minute, 1, 2, TG_INIT_DEFAULT) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_keyed_windows_init(&one_window.table, NULL, 1, &per_minute, 1, 2, TG_INIT_DEFAULT) == TG_E_NULL);
  CHECK(tg_keyed_windows_init(&one_window.table, one_window.entries, 1, &too_many, 1, 2, TG_INIT_DEFAULT) == TG_E_CONFIG_LIMIT);
  CHECK(tg_keyed_windows_init(&one_window.table, one_window.entries, 1, &no_window, 1, 2, TG_INIT_DEFAULT) == TG_E_CONFIG_WINDOW);
  CHECK(tg_keyed_windows_init(&one_window.table, one_window.entries, 1, NULL, 1, 2, TG_INIT_DEFAULT) == TG_E_NULL);
  CHECK(tg_keyed_windows_init(&one_window.table, one_window.entries, TG_KEYED_LEN(one_window), &per_minute, 1, 2, TG_INIT_DEFAULT) == TG_OK);
  CHECK(tg_keyed_windows_init(&one_window.table, one_window.entries, 1, &per_minute, 1, 2, TG_INIT_DEFAULT) == TG_E_ALREADY_INITIALIZED);
  /* One entry: the second key waits until the first's windows are empty. */
  CHECK(tg_keyed_windows_acquire_u64(&one_window.table, one_window.entries, 1, 5, 2, 1000, NULL) == TG_OK);
  CHECK(tg_keyed_windows_acquire_u64(&one_window.table, one_window.entries, 1, 5, 1, 1050, &retry_at) == TG_REFUSED && retry_at == 1150);
  CHECK(tg_keyed_windows_acquire_u64(&one_window.table, one_window.entries, 1, 6, 1, 1050, &retry_at) == TG_TABLE_FULL && retry_at == 1200);
  CHECK(tg_keyed_windows_acquire_u64(&one_window.table, one_window.entries, 1, 5, 3, 1050, &retry_at) == TG_E_EXCEEDS_CAPACITY);
  CHECK(tg_keyed_windows_available_u64(&one_window.table, one_window.entries, 1, 6, 1050, &available) == TG_OK && available == 0);
  CHECK(tg_keyed_windows_available_u64(&one_window.table, one_window.entries, 1, 6, 1200, &available) == TG_OK && available == 2);
  CHECK(tg_keyed_windows_available_u64(&one_window.table, one_window.entries, 1, 6, 1200, NULL) == TG_E_NULL);
  CHECK(tg_keyed_windows_limiting(&one_window.table, one_window.entries, 1, 1050, &limiting) == TG_OK && limiting == 1);
  CHECK(tg_keyed_windows_limiting(&one_window.table, one_window.entries, 1, 1200, &limiting) == TG_OK && limiting == 0);
  const uint8_t user[] = "alice@example.org";
  CHECK(tg_keyed_windows_acquire_bytes(&one_window.table, one_window.entries, 1, user, sizeof user - 1, 1, 1200, NULL) == TG_OK);
  CHECK(tg_keyed_windows_acquire_bytes(&one_window.table, one_window.entries, 1, user, TG_KEYED_MAX_KEY_BYTES + 1, 1, 1200, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_keyed_windows_available_bytes(&one_window.table, one_window.entries, 1, user, sizeof user - 1, 1200, &available) == TG_OK && available == 1);
  /* The entries must be the table's own; a bucket table is another type. */
  CHECK(tg_keyed_windows_acquire_u64(&one_window.table, ips.entries, 1, 5, 1, 0, NULL) == TG_E_INVALID_ARGUMENT);
  /* Live reconfiguration: the key keeps its count; a new limit applies at once. */
  const tg_sliding_window_config_t five_per_100 = {.limit = 5, .window_ticks = 100};
  CHECK(tg_keyed_windows_reconfigure(&one_window.table, &five_per_100) == TG_OK);
  CHECK(tg_keyed_windows_available_bytes(&one_window.table, one_window.entries, 1, user, sizeof user - 1, 1200, &available) == TG_OK && available == 4);
  CHECK(tg_keyed_windows_reconfigure(&one_window.table, &too_many) == TG_E_CONFIG_LIMIT);
  CHECK(tg_keyed_windows_reconfigure(&one_window.table, &no_window) == TG_E_CONFIG_WINDOW);
  CHECK(tg_keyed_windows_reconfigure(&one_window.table, NULL) == TG_E_NULL);
  CHECK(tg_keyed_windows_reconfigure(NULL, &five_per_100) == TG_E_NULL);
  CHECK(tg_keyed_windows_available_bytes(&one_window.table, one_window.entries, 1, user, sizeof user - 1, 1200, &available) == TG_OK && available == 4);
  CHECK(tg_keyed_windows_reconfigure(&one_window.table, &per_minute) == TG_OK);
  CHECK(tg_keyed_windows_reset(&one_window.table, one_window.entries, 1) == TG_OK);
  CHECK(tg_keyed_windows_limiting(&one_window.table, one_window.entries, 1, 1200, &limiting) == TG_OK && limiting == 0);
  CHECK(tg_keyed_windows_deinit(&one_window.table) == TG_OK);
  CHECK(tg_keyed_windows_reset(&one_window.table, one_window.entries, 1) == TG_E_UNINITIALIZED);
  CHECK(tg_keyed_windows_reconfigure(&one_window.table, &per_minute) == TG_E_UNINITIALIZED);
  /* 64 entries, 32 addresses: each its own window. */
  CHECK(tg_keyed_windows_init(&ips.table, ips.entries, TG_KEYED_LEN(ips), &per_minute, 7, 8, TG_INIT_DEFAULT) == TG_OK);
  unsigned granted = 0;
  for (uint64_t ip = 0; ip < 32; ip++) {
    granted += tg_keyed_windows_acquire_u64(&ips.table, ips.entries, TG_KEYED_LEN(ips), ip, 2, 0, NULL) == TG_OK;
  }
  CHECK(granted >= 20);
  CHECK(tg_keyed_windows_acquire_u64(&ips.table, ips.entries, TG_KEYED_LEN(ips), 3, 1, 0, NULL) != TG_OK);
  static uint8_t windows_saved[TG_KEYED_WINDOWS_SNAPSHOT_SIZE(64)];
  CHECK(sizeof windows_saved == 12 + 20 * 64);
  CHECK(tg_keyed_windows_snapshot(&ips.table, ips.entries, TG_KEYED_LEN(ips), 50, windows_saved, sizeof windows_saved) == TG_OK);
  CHECK(tg_keyed_windows_reset(&ips.table, ips.entries, TG_KEYED_LEN(ips)) == TG_OK);
  CHECK(tg_keyed_windows_restore(&ips.table, ips.entries, TG_KEYED_LEN(ips), windows_saved, sizeof windows_saved, 50) == TG_OK);
  CHECK(tg_keyed_windows_acquire_u64(&ips.table, ips.entries, TG_KEYED_LEN(ips), 3, 1, 50, NULL) != TG_OK);
  /* A bucket table's snapshot is another kind. */
  CHECK(tg_keyed_windows_restore(&ips.table, ips.entries, TG_KEYED_LEN(ips), windows_saved, sizeof windows_saved - 64, 50) == TG_E_SNAPSHOT_TRUNCATED);
  CHECK(tg_keyed_windows_snapshot(NULL, ips.entries, TG_KEYED_LEN(ips), 50, windows_saved, sizeof windows_saved) == TG_E_NULL);
  CHECK(tg_keyed_windows_restore(&ips.table, ips.entries, TG_KEYED_LEN(ips), NULL, 0, 50) == TG_E_NULL);
}

static void test_version(void) {
  CHECK(tg_version() == TG_VERSION);
  CHECK(TG_VERSION == TG_VERSION_MAJOR * 10000 + TG_VERSION_MINOR * 100 + TG_VERSION_PATCH);
  CHECK(tg_version() / 10000 == TG_VERSION_MAJOR);
  CHECK(tg_version() / 100 % 100 == TG_VERSION_MINOR);
  CHECK(tg_version() % 100 == TG_VERSION_PATCH);
}

/* A word kept in memory through the cell's callbacks, with faults to
 * inject: a failing load or compare-and-set, and another writer that moves
 * the word before each of this caller's compare-and-sets. */
typedef struct {
  tg_cell_word_t word;
  unsigned loads, sets, conflicts_left;
  bool fail_load, fail_set;
} memory_cell_t;

static int32_t memory_load(void *context, tg_cell_word_t *out) {
  memory_cell_t *m = context;
  m->loads++;
  if (m->fail_load) return -1;
  *out = m->word;
  return 0;
}

static int32_t memory_compare_and_set(void *context, tg_cell_word_t expected, tg_cell_word_t desired,
                                      tg_cell_word_t *found) {
  memory_cell_t *m = context;
  m->sets++;
  if (m->fail_set) return -7;
  if (m->conflicts_left > 0) { /* another writer got there first */
    m->conflicts_left--;
    m->word.low += 1;
  }
  if (m->word.low != expected.low || m->word.high != expected.high) {
    *found = m->word;
    return 1;
  }
  m->word = desired;
  return 0;
}

static void test_cells(void) {
  memory_cell_t m = {{0, 0}, 0, 0, 0, false, false};
  tg_cell_t cell = {.context = &m, .load = memory_load, .compare_and_set = memory_compare_and_set};
  tg_bucket_config_t bc = {.capacity = 2, .tokens = 1, .period_ticks = 100};
  uint64_t retry_at = 0;
  /* The bucket over the cell decides as a bucket object does. */
  tg_bucket_t object = {{0}};
  CHECK(tg_bucket_init(&object, &bc) == TG_OK);
  const uint64_t ticks[] = {0, 0, 0, 50, 99, 100, 150, 1000, 1000, 1000, 1001};
  for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
    uint64_t a = 0, b = 0;
    CHECK(tg_bucket_cell_acquire(&bc, &cell, 1, ticks[i], &a) == tg_bucket_acquire(&object, 1, ticks[i], &b));
    CHECK(a == b);
  }
  CHECK(tg_bucket_cell_acquire(&bc, &cell, 3, 2000, &retry_at) == TG_E_EXCEEDS_CAPACITY);
  /* A refusal writes nothing. */
  memory_cell_t before = m;
  CHECK(tg_bucket_cell_acquire(&bc, &cell, 2, 1001, &retry_at) == TG_REFUSED && retry_at == 1200);
  CHECK(m.sets == before.sets && m.word.low == before.word.low && m.word.high == before.word.high);
  /* One conflict: the step runs again from the word the conflict gave. */
  m.conflicts_left = 1;
  unsigned sets = m.sets;
  CHECK(tg_bucket_cell_acquire(&bc, &cell, 1, 5000, NULL) == TG_OK && m.sets == sets + 2);
  /* A conflict on every attempt: TG_E_CONTENDED after max_attempts. */
  cell.max_attempts = 3;
  m.conflicts_left = 100;
  sets = m.sets;
  CHECK(tg_bucket_cell_acquire(&bc, &cell, 1, 9000, NULL) == TG_E_CONTENDED && m.sets == sets + 3);
  m.conflicts_left = 0;
  cell.max_attempts = 0;
  m.fail_load = true;
  CHECK(tg_bucket_cell_acquire(&bc, &cell, 1, 9000, NULL) == TG_E_CELL);
  m.fail_load = false;
  m.fail_set = true;
  CHECK(tg_bucket_cell_acquire(&bc, &cell, 1, 20000, NULL) == TG_E_CELL);
  m.fail_set = false;
  CHECK(strcmp(tg_status_str(TG_E_CELL), "unknown status") != 0);
  CHECK(strcmp(tg_status_str(TG_E_CONTENDED), "unknown status") != 0);
  /* Misuse. */
  CHECK(tg_bucket_cell_acquire(NULL, &cell, 1, 0, NULL) == TG_E_NULL);
  CHECK(tg_bucket_cell_acquire(&bc, NULL, 1, 0, NULL) == TG_E_NULL);
  tg_cell_t no_load = cell;
  no_load.load = NULL;
  CHECK(tg_bucket_cell_acquire(&bc, &no_load, 1, 0, NULL) == TG_E_NULL);
  tg_bucket_config_t zero = bc;
  zero.capacity = 0;
  CHECK(tg_bucket_cell_acquire(&zero, &cell, 1, 0, NULL) == TG_E_CONFIG_ZERO_CAPACITY);

  /* A breaker over another cell: 2 failures open it for 100 ticks. */
  memory_cell_t w = {{0, 0}, 0, 0, 0, false, false};
  tg_cell_t bcell = {.context = &w, .load = memory_load, .compare_and_set = memory_compare_and_set};
  tg_breaker_config_t config = {
      .failure_threshold = 2, .open_ticks = 100, .half_open_permits = 1, .success_threshold = 1,
      .half_open_timeout_ticks = 100};
  tg_breaker_decision_t d;
  tg_record_t r;
  for (int i = 0; i < 2; i++) {
    CHECK(tg_breaker_cell_acquire(&config, &bcell, 10, &d) == TG_OK);
    CHECK(tg_breaker_cell_record(&config, &bcell, d.permit, TG_OUTCOME_FAILURE, 11, &r) == TG_OK);
    CHECK(r.counted && r.transition.changed == (i == 1));
  }
  CHECK(r.transition.from == TG_STATE_CLOSED && r.transition.to == TG_STATE_OPEN);
  CHECK(tg_breaker_cell_acquire(&config, &bcell, 50, &d) == TG_REFUSED && d.has_retry_at && d.retry_at == 111);
  CHECK(tg_breaker_cell_acquire(&config, &bcell, 111, &d) == TG_OK && d.transition.to == TG_STATE_HALF_OPEN);
  tg_permit_t trial = d.permit;
  CHECK(tg_breaker_cell_record(&config, &bcell, trial, 99, 112, &r) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_breaker_cell_record(&config, &bcell, trial, TG_OUTCOME_SUCCESS, 112, &r) == TG_OK);
  CHECK(r.transition.changed && r.transition.to == TG_STATE_CLOSED);
  /* A second report of the trial counts nothing. */
  CHECK(tg_breaker_cell_record(&config, &bcell, trial, TG_OUTCOME_FAILURE, 113, &r) == TG_OK && !r.counted);
  CHECK(tg_breaker_cell_acquire(&config, &bcell, 114, NULL) == TG_E_NULL);
  /* A configuration that counts in a second word is not a cell's. */
  tg_breaker_config_t windowed = config;
  windowed.failure_rate_per_mille = 500;
  windowed.rate_window = 10;
  CHECK(tg_breaker_config_check(&windowed) == TG_OK);
  CHECK(tg_breaker_cell_acquire(&windowed, &bcell, 200, &d) == TG_E_NOT_ONE_WORD);
  CHECK(tg_breaker_cell_record(&windowed, &bcell, trial, TG_OUTCOME_SUCCESS, 200, &r) == TG_E_NOT_ONE_WORD);
  /* The Rust crate's value prefix, for keys shared with Rust processes. */
  char prefix[TG_CELL_PREFIX_MAX];
  size_t prefix_len = 0;
  CHECK(tg_bucket_cell_prefix(&bc, prefix, sizeof prefix, &prefix_len) == TG_OK);
  CHECK(prefix_len == strlen(prefix) && strncmp(prefix, "tg", 2) == 0 && strstr(prefix, ":02:") != NULL &&
        prefix[prefix_len - 1] == ':' && prefix_len >= strlen("tg0.0.0:02:12345678:"));
  char other[TG_CELL_PREFIX_MAX];
  tg_bucket_config_t slower = bc;
  slower.period_ticks = 200;
  CHECK(tg_bucket_cell_prefix(&slower, other, sizeof other, NULL) == TG_OK && strcmp(prefix, other) != 0);
  CHECK(tg_breaker_cell_prefix(&config, other, sizeof other, NULL) == TG_OK && strstr(other, ":01:") != NULL);
  CHECK(tg_breaker_cell_prefix(&windowed, other, sizeof other, NULL) == TG_E_NOT_ONE_WORD);
  CHECK(tg_bucket_cell_prefix(&bc, other, 5, NULL) == TG_E_INVALID_ARGUMENT);
  CHECK(tg_bucket_cell_prefix(&bc, NULL, sizeof other, NULL) == TG_E_NULL);
  CHECK(tg_bucket_cell_prefix(&zero, other, sizeof other, NULL) == TG_E_CONFIG_ZERO_CAPACITY);
  /* The script tickguard-redis runs, for a cell over hiredis. */
  CHECK(strstr(tg_redis_script(), "redis.call('TIME')") != NULL);
}

int main(void) {
  test_version();
  /* Objects are plain fixed-size storage. */
  CHECK(sizeof(tg_breaker_t) == 240 && sizeof(tg_bucket_t) == 144 && sizeof(tg_tick_extender_t) == 32);
  CHECK(sizeof(tg_fixed_window_t) == 48 && _Alignof(tg_fixed_window_t) == 16);
  CHECK(sizeof(tg_shaper_t) == 144 && _Alignof(tg_shaper_t) == 16);
  CHECK(sizeof(tg_sliding_window_t) == 48 && _Alignof(tg_sliding_window_t) == 16);
  CHECK(sizeof(tg_bulkhead_t) == 48 && _Alignof(tg_bulkhead_t) == 16);
  CHECK(_Alignof(tg_breaker_t) == 16 && _Alignof(tg_bucket_t) == 16);
  test_status_strings();
  test_names();
  test_ticks();
  test_breaker_config();
  test_breaker_uninitialised_and_null();
  test_breaker_cycle();
  test_breaker_failure_rate();
  test_breaker_closed_interval();
  test_breaker_growing_open();
  test_events();
  test_breaker_trip_rule();
  test_breaker_half_open_rate();
  test_breaker_slow_calls();
  test_breaker_time_window();
  test_bucket();
  test_bucket_reconfigured_by_threads();
  test_keyed_reconfigured_by_threads();
  test_misuse();
  test_time();
  test_retry();
  test_budget();
  test_handling();
  test_lkg();
  test_stale_objects();
  test_zeroed_config_fields();
  test_degradation();
  test_snapshots();
  test_fixed_window();
  test_shaper();
  test_sliding_window();
  test_bulkhead();
  test_keyed();
  test_sliding_log();
  test_adaptive();
  test_keyed_windows();
  test_cells();
  printf("%u passed, %u failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
