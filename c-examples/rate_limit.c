/* rate_limit.c: rate-limit a stream of requests with a tickguard token bucket.
 *
 * A burst of up to 5 requests, then 2 requests every 10 ticks. Requests
 * arrive in clumps; the bucket admits or refuses each one and says when to
 * retry. Exits non-zero if the limiter ever admits more than it should. */
#include <stdio.h>
#include <stdlib.h>

#include "tickguard.h"

/* const: the configuration can live in flash. */
static const tg_bucket_config_t LIMIT = {
    .capacity = 5, .tokens = 2, .period_ticks = 10, .initial_fill = TG_BUCKET_FULL};

/* Zero-initialised static storage: no malloc. */
static tg_bucket_t bucket;

int main(void) {
  tg_status_t status = tg_bucket_init(&bucket, &LIMIT);
  if (status != TG_OK) {
    fprintf(stderr, "init: %s\n", tg_status_str(status));
    return 1;
  }
  /* Arrival ticks of 24 requests: a burst, a lull, a flood, a trickle. */
  static const uint64_t arrivals[] = {0,  0,  0,  0,  0,  0,  1,  3,  20, 21, 22, 23,
                                      24, 25, 26, 27, 30, 40, 45, 50, 55, 60, 95, 96};
  const size_t count = sizeof arrivals / sizeof arrivals[0];
  unsigned admitted = 0, refused = 0;
  for (size_t i = 0; i < count; i++) {
    uint64_t now = arrivals[i], retry_at = 0;
    uint32_t left = 0;
    status = tg_bucket_acquire(&bucket, 1, now, &retry_at);
    tg_bucket_available(&bucket, now, &left);
    if (status == TG_OK) {
      admitted++;
      printf("tick %3u: request %2zu admitted (%u left)\n", (unsigned)now, i, (unsigned)left);
    } else if (status == TG_REFUSED) {
      refused++;
      printf("tick %3u: request %2zu refused, retry at tick %u\n", (unsigned)now, i,
             (unsigned)retry_at);
    } else {
      fprintf(stderr, "acquire: %s\n", tg_status_str(status));
      return 1;
    }
  }
  /* More than the capacity can never succeed. */
  status = tg_bucket_acquire(&bucket, 6, 1000, NULL);
  printf("a request for 6 tokens: %s\n", tg_status_str(status));
  printf("admitted %u, refused %u\n", admitted, refused);
  /* Over ticks 0..96 at most 5 + 96*2/10 = 24 tokens exist. */
  if (admitted > 5 + 96 * 2 / 10 || status != TG_E_EXCEEDS_CAPACITY) return 1;
  return 0;
}
