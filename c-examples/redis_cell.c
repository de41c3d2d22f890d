/* Two processes sharing one token bucket and one circuit breaker through a
 * Redis (or Valkey) server, from C: a tg_cell_t over hiredis running the
 * same compare-and-set script as the Rust crate tickguard-redis
 * (tg_redis_script()).
 *
 *   redis_cell HOST PORT
 *
 * Ticks are microseconds of the server's clock (its TIME): one clock for
 * every process on every host. The example reads it once and makes every
 * decision at that tick, so its output is the same on every run. */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tickguard.h"

/* One key on one connection: the cell's context. `prefix` starts every
 * value (tg_*_cell_prefix): the Rust crate's format, so Rust processes
 * using tickguard_redis::RemoteKey with the same configuration share the
 * key. */
typedef struct {
  redisContext *redis;
  char sha[41];
  const char *key;
  char prefix[TG_CELL_PREFIX_MAX];
  size_t prefix_len;
} redis_cell_t;

static bool load_script(redis_cell_t *c) {
  redisReply *reply = redisCommand(c->redis, "SCRIPT LOAD %s", tg_redis_script());
  bool ok = reply != NULL && reply->type == REDIS_REPLY_STRING && reply->len == 40;
  if (ok) memcpy(c->sha, reply->str, 41);
  freeReplyObject(reply);
  return ok;
}

/* The word as stored: the prefix, then 32 hexadecimal digits, high half
 * first ("" for no key: the fresh word). */
static bool parse_word(const redis_cell_t *c, const redisReply *value, tg_cell_word_t *out) {
  out->low = out->high = 0;
  if (value->type != REDIS_REPLY_STRING) return false;
  if (value->len == 0) return true;
  if (value->len != c->prefix_len + 32 || memcmp(value->str, c->prefix, c->prefix_len) != 0)
    return false; /* another machine's, configuration's or release's value */
  const char *digits = value->str + c->prefix_len;
  for (size_t i = 0; i < 32; i++)
    if (!((digits[i] >= '0' && digits[i] <= '9') || (digits[i] >= 'a' && digits[i] <= 'f'))) return false;
  char half[17] = {0};
  memcpy(half, digits, 16);
  out->high = strtoull(half, NULL, 16);
  memcpy(half, digits + 16, 16);
  out->low = strtoull(half, NULL, 16);
  return true;
}

static void format_word(const redis_cell_t *c, tg_cell_word_t word, char out[TG_CELL_PREFIX_MAX + 33]) {
  if (word.low == 0 && word.high == 0) {
    out[0] = '\0'; /* the fresh word: no key */
  } else {
    snprintf(out, TG_CELL_PREFIX_MAX + 33, "%s%016" PRIx64 "%016" PRIx64, c->prefix, word.high, word.low);
  }
}

/* Runs the script on the cell's key: `op` ("load" or "cas") and, for
 * "cas", the word expected and the word desired (the caller's tick is
 * passed as 0: these ticks are the server's own, read before the call, so
 * never ahead of it; no expiry). Reloads the script once if the server
 * lost it. The reply is { status, value, seconds, microseconds }. */
static redisReply *run_script(redis_cell_t *c, const char *op, const char *expected, const char *desired) {
  const char *argv[] = {"EVALSHA", c->sha, "1", c->key, op, expected, desired, "0", "0"};
  int argc = strcmp(op, "load") == 0 ? 5 : 9;
  for (int attempt = 0; attempt < 2; attempt++) {
    argv[1] = c->sha;
    redisReply *reply = redisCommandArgv(c->redis, argc, argv, NULL);
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0 &&
        load_script(c)) {
      freeReplyObject(reply);
      continue;
    }
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4 &&
        reply->element[0]->type == REDIS_REPLY_INTEGER)
      return reply;
    freeReplyObject(reply);
    return NULL;
  }
  return NULL;
}

static int32_t cell_load(void *context, tg_cell_word_t *out) {
  redisReply *reply = run_script(context, "load", "", "");
  bool ok = reply != NULL && parse_word(context, reply->element[1], out);
  freeReplyObject(reply);
  return ok ? 0 : -1;
}

static int32_t cell_compare_and_set(void *context, tg_cell_word_t expected, tg_cell_word_t desired,
                                    tg_cell_word_t *found) {
  char from[TG_CELL_PREFIX_MAX + 33], to[TG_CELL_PREFIX_MAX + 33];
  format_word(context, expected, from);
  format_word(context, desired, to);
  redisReply *reply = run_script(context, "cas", from, to);
  int32_t result = -1;
  if (reply != NULL && reply->element[0]->integer == 0) {
    result = 0;
  } else if (reply != NULL && reply->element[0]->integer == 1 && parse_word(context, reply->element[1], found)) {
    result = 1;
  }
  freeReplyObject(reply);
  return result;
}

/* The server's clock in microseconds. */
static uint64_t server_now(redisContext *redis) {
  redisReply *reply = redisCommand(redis, "TIME");
  uint64_t now = 0;
  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
    now = strtoull(reply->element[0]->str, NULL, 10) * 1000000u + strtoull(reply->element[1]->str, NULL, 10);
  freeReplyObject(reply);
  return now;
}

/* 5 at once, one more every 100 ms. */
static const tg_bucket_config_t limit = {.capacity = 5, .tokens = 1, .period_ticks = 100000};
/* 3 failures in a row open it for 2 s. */
static const tg_breaker_config_t breaker = {
    .failure_threshold = 3, .open_ticks = 2000000, .half_open_permits = 1, .success_threshold = 1,
    .half_open_timeout_ticks = 1000000};

/* A cell over `key` for the shared bucket (`is_bucket`) or breaker. */
static redis_cell_t connect_cell(const char *host, int port, const char *key, bool is_bucket) {
  redis_cell_t c = {.redis = redisConnect(host, port), .key = key};
  tg_status_t s = is_bucket ? tg_bucket_cell_prefix(&limit, c.prefix, sizeof c.prefix, &c.prefix_len)
                            : tg_breaker_cell_prefix(&breaker, c.prefix, sizeof c.prefix, &c.prefix_len);
  if (s != TG_OK || c.redis == NULL || c.redis->err || !load_script(&c)) {
    fprintf(stderr, "redis_cell: cannot reach %s:%d\n", host, port);
    exit(1);
  }
  return c;
}

static void take(const char *who, tg_cell_t *cell, uint64_t now, uint64_t start) {
  uint64_t retry_at = 0;
  tg_status_t s = tg_bucket_cell_acquire(&limit, cell, 1, now, &retry_at);
  if (s == TG_OK) {
    printf("%s: token taken\n", who);
  } else if (s == TG_REFUSED) {
    printf("%s: refused, next token in %" PRIu64 " ms\n", who, (retry_at - start) / 1000);
  } else {
    printf("%s: %s\n", who, tg_status_str(s));
  }
}

static void call(const char *who, tg_cell_t *cell, uint64_t now, int outcome) {
  tg_breaker_decision_t d;
  tg_status_t s = tg_breaker_cell_acquire(&breaker, cell, now, &d);
  if (s == TG_REFUSED) {
    printf("%s: breaker refuses, open for %" PRIu64 " ms more\n", who, (d.retry_at - now) / 1000);
    return;
  }
  if (s != TG_OK) {
    printf("%s: %s\n", who, tg_status_str(s));
    return;
  }
  tg_record_t r;
  s = tg_breaker_cell_record(&breaker, cell, d.permit, outcome, now, &r);
  printf("%s: ", who);
  if (d.transition.changed)
    printf("breaker %s -> %s for a trial, ", tg_state_str(d.transition.from), tg_state_str(d.transition.to));
  printf("call %s", outcome == TG_OUTCOME_FAILURE ? "failed" : "succeeded");
  if (s == TG_OK && r.transition.changed)
    printf(", breaker %s -> %s", tg_state_str(r.transition.from), tg_state_str(r.transition.to));
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: redis_cell HOST PORT\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  redis_cell_t setup = connect_cell(host, port, "tickguard:02:c-limit", true);
  redisReply *reply = redisCommand(setup.redis, "DEL tickguard:02:c-limit tickguard:01:c-breaker");
  freeReplyObject(reply);
  const uint64_t start = server_now(setup.redis);
  redisFree(setup.redis);
  fflush(stdout);

  /* The parent takes the burst; then the child finds the shared bucket
   * empty and the breaker the parent opened. */
  redis_cell_t mine = connect_cell(host, port, "tickguard:02:c-limit", true);
  tg_cell_t bucket_cell = {.context = &mine, .load = cell_load, .compare_and_set = cell_compare_and_set};
  for (int i = 0; i < 6; i++) take("parent", &bucket_cell, start, start);
  redis_cell_t mine_b = connect_cell(host, port, "tickguard:01:c-breaker", false);
  tg_cell_t breaker_cell = {.context = &mine_b, .load = cell_load, .compare_and_set = cell_compare_and_set};
  for (int i = 0; i < 3; i++) call("parent", &breaker_cell, start + 1, TG_OUTCOME_FAILURE);
  fflush(stdout);
  redisFree(mine.redis);
  redisFree(mine_b.redis);

  pid_t child = fork();
  if (child == 0) {
    redis_cell_t theirs = connect_cell(host, port, "tickguard:02:c-limit", true);
    tg_cell_t cell = {.context = &theirs, .load = cell_load, .compare_and_set = cell_compare_and_set};
    take("child", &cell, start, start);
    take("child", &cell, start + 100000, start);
    redis_cell_t theirs_b = connect_cell(host, port, "tickguard:01:c-breaker", false);
    tg_cell_t bcell = {.context = &theirs_b, .load = cell_load, .compare_and_set = cell_compare_and_set};
    call("child", &bcell, start + 500000, TG_OUTCOME_SUCCESS);
    call("child", &bcell, start + 2100000, TG_OUTCOME_SUCCESS);
    fflush(stdout);
    redisFree(theirs.redis);
    redisFree(theirs_b.redis);
    _exit(0);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "redis_cell: the child failed\n");
    return 1;
  }
  return 0;
}
