/* cache_client.c: retry and fallback, in C
 * on tickguard. A client reads sensor values from a flaky backend through a
 * rate limit (token bucket), a circuit breaker and retries with jittered
 * exponential backoff under a shared retry budget. It classifies each error
 * with the default handling table (network, timeout, data, system), and
 * while the backend is down it serves last-known-good values, with their
 * age, or a default. It prints what it decided at each tick and checks its
 * own results. Deterministic: the backend and the jitter are seeded. */
#include <stdio.h>
#include <string.h>

#include "tickguard.h"

/* ---- the simulated backend: healthy, then an outage, then a bad value ---- */
typedef struct {
  uint32_t seed;
  unsigned calls;
} backend_t;

/* Returns -1 on success (writing the value) or a TG_ERROR_* kind. */
static int backend_get(backend_t *b, const char *key, uint64_t now, char *value, size_t cap) {
  b->calls++;
  b->seed = b->seed * 1103515245u + 12345u;
  unsigned roll = (b->seed >> 16) % 10;
  if (now >= 400 && now < 900) { /* the outage */
    return roll < 6 ? TG_ERROR_CONNECTION_FAILED : TG_ERROR_READ_TIMEOUT;
  }
  if (now >= 1000 && now < 1040 && strcmp(key, "humidity") == 0) return TG_ERROR_FORMAT;
  snprintf(value, cap, "%s=%u", key, (unsigned)(now / 100 + (strcmp(key, "temp") == 0 ? 20 : 40)));
  return -1;
}

static const char *const ERROR_NAMES[] = {
    "connection failed", "protocol error", "connect timeout", "read timeout", "write timeout",
    "format error",      "missing data",   "inconsistent",    "out of memory", "out of disk",
    "resources exhausted"};
static const char *const GIVE_UP_NAMES[] = {"",          "attempts exhausted", "deadline",
                                            "not retryable", "server said stop", "budget empty",
                                            "refused indefinitely"};

/* ---- the guards ---- */
static const tg_bucket_config_t LIMIT = {
    .capacity = 5, .tokens = 1, .period_ticks = 10, .initial_fill = TG_BUCKET_FULL};
static const tg_breaker_config_t BREAKER = {.failure_threshold = 4,
                                            .open_ticks = 150,
                                            .half_open_permits = 2,
                                            .success_threshold = 2,
                                            .half_open_timeout_ticks = 100};
static const tg_retry_config_t RETRY = {.max_attempts = 3,
                                        .backoff = TG_BACKOFF_EXPONENTIAL,
                                        .base_ticks = 5,
                                        .step_ticks = 0,
                                        .multiplier_milli = 2000,
                                        .jitter = TG_JITTER_EQUAL,
                                        .jitter_ticks = 0,
                                        .jitter_per_mille = 0,
                                        .max_delay_ticks = 40,
                                        .deadline_ticks = 60};
static const tg_retry_budget_config_t BUDGET = {.max_tokens = 6, .token_ratio_milli = 200};

static tg_bucket_t bucket;
static tg_breaker_t breaker;
static tg_retry_policy_t policy;
static tg_retry_budget_t budget;
static tg_lkg_t lkg;
static tg_handling_table_t table;

static unsigned fresh, stale, defaults, refused_by_limit, alerts;

static void report_transition(uint64_t now, const tg_transition_t *t) {
  static const char *const STATES[] = {"CLOSED", "OPEN", "HALF_OPEN", "FORCED_OPEN", "DISABLED"};
  if (t->changed && t->from <= 4 && t->to <= 4) {
    printf("tick %4u:   breaker %s -> %s\n", (unsigned)now, STATES[t->from], STATES[t->to]);
  }
}

/* One request for `key` at `now`; returns the tick the client is done. */
static uint64_t request(backend_t *b, const char *key, uint64_t now, uint64_t seed) {
  if (tg_bucket_acquire(&bucket, 1, now, NULL) != TG_OK) {
    refused_by_limit++;
    printf("tick %4u: %-8s rate-limited\n", (unsigned)now, key);
    return now;
  }
  tg_retry_attempt_t attempt;
  tg_retry_attempt_begin(&attempt, now, seed);
  for (;;) {
    tg_breaker_decision_t d;
    tg_retry_decision_t next;
    tg_status_t s = tg_breaker_acquire(&breaker, now, &d);
    report_transition(now, &d.transition);
    if (s == TG_REFUSED) {
      printf("tick %4u: %-8s breaker open until %u\n", (unsigned)now, key, (unsigned)d.retry_at);
      tg_retry_next(&policy, &attempt,
                    d.has_retry_at ? TG_RETRY_OUTCOME_REFUSED : TG_RETRY_OUTCOME_REFUSED_INDEFINITELY,
                    d.retry_at, now, &budget, &next);
    } else {
      char value[TG_LKG_VALUE_BYTES];
      int error = backend_get(b, key, now, value, sizeof value);
      tg_record_t r;
      if (error < 0) {
        tg_breaker_record(&breaker, d.permit, TG_OUTCOME_SUCCESS, now, &r);
        report_transition(now, &r.transition);
        tg_retry_budget_success(&budget);
        tg_lkg_store(&lkg, (const uint8_t *)key, strlen(key), (const uint8_t *)value, strlen(value) + 1, now);
        printf("tick %4u: %-8s %s (fresh)\n", (unsigned)now, key, value);
        fresh++;
        return now;
      }
      /* Classify: the table says how the breaker and the retry step see it. */
      tg_handling_t h;
      tg_outcome_t breaker_outcome;
      tg_retry_outcome_t retry_outcome;
      tg_handling_lookup(&table, (tg_error_kind_t)error, &h, &breaker_outcome, &retry_outcome);
      tg_breaker_record(&breaker, d.permit, breaker_outcome, now, &r);
      tg_retry_budget_failure(&budget);
      alerts += h.alert;
      printf("tick %4u: %-8s %s%s\n", (unsigned)now, key, ERROR_NAMES[error], h.alert ? " [alert]" : "");
      report_transition(now, &r.transition);
      tg_retry_next(&policy, &attempt, retry_outcome, 0, now, &budget, &next);
    }
    if (next.retry) {
      printf("tick %4u: %-8s retry at %u\n", (unsigned)now, key, (unsigned)next.retry_at);
      now = next.retry_at;
      continue;
    }
    /* Gave up: fall back. */
    char value[TG_LKG_VALUE_BYTES];
    size_t len;
    uint64_t age;
    if (tg_lkg_serve(&lkg, (const uint8_t *)key, strlen(key), now, (uint8_t *)value, &len, &age) == TG_OK) {
      printf("tick %4u: %-8s gave up (%s): serving last known good %s, %u ticks old\n", (unsigned)now,
             key, GIVE_UP_NAMES[next.give_up], value, (unsigned)age);
      stale++;
    } else {
      printf("tick %4u: %-8s gave up (%s): serving the default\n", (unsigned)now, key,
             GIVE_UP_NAMES[next.give_up]);
      defaults++;
    }
    return now;
  }
}

int main(void) {
  if (tg_bucket_init(&bucket, &LIMIT) != TG_OK || tg_breaker_init(&breaker, &BREAKER) != TG_OK ||
      tg_retry_policy_init(&policy, &RETRY) != TG_OK || tg_retry_budget_init(&budget, &BUDGET) != TG_OK ||
      tg_lkg_init(&lkg, 400) != TG_OK || tg_handling_table_default(&table) != TG_OK) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }
  backend_t b = {.seed = 7, .calls = 0};
  static const char *const KEYS[] = {"temp", "humidity"};
  uint64_t now = 0;
  for (unsigned i = 0; now < 1400; i++) {
    now = request(&b, KEYS[i % 2], now, 0x9E3779B9u * (i + 1)) + 25;
    if (i == 8) { /* a burst of requests: the rate limit sheds what exceeds it */
      for (unsigned j = 0; j < 6; j++) request(&b, "temp", now, 0xB5u * (j + 1));
    }
  }
  tg_state_t state = TG_STATE_FORCED_OPEN;
  tg_breaker_state(&breaker, now, &state);
  printf("backend calls %u: fresh %u, last-known-good %u, default %u, rate-limited %u, alerts %u\n",
         b.calls, fresh, stale, defaults, refused_by_limit, alerts);
  int ok = fresh > 0 && stale > 0 && defaults > 0 && refused_by_limit > 0 && alerts > 0 &&
           state == TG_STATE_CLOSED;
  puts(ok ? "client behaved as specified" : "UNEXPECTED BEHAVIOUR");
  return ok ? 0 : 1;
}
