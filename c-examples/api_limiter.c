/* api_limiter.c: a per-client API rate limiter with a tickguard keyed table.
 *
 * An API gateway gives each client (an IPv4 address, or an IPv6 address as
 * bytes) its own token bucket: a burst of 3 requests, then 1 per 100 ticks
 * (1 ms ticks: 10 per second). The table has a fixed number of entries,
 * chosen at compile time, so memory stays bounded whatever addresses
 * arrive. A client whose bucket is back at full capacity is as good as
 * absent: a new client may take its entry. A client that is still being
 * limited is never evicted: the new client gets "503 table full" with the
 * tick its entry frees, and the limited one keeps its limit.
 *
 * The table here has 8 entries, so evictions are visible; a real gateway
 * sizes it a few times the clients it limits at once. The hash seed is
 * fixed for a repeatable demo; a real program seeds it from a random source.
 * Under load the operator halves every client's rate, live: each client
 * keeps the tokens it has, and refills at the new rate from then on.
 * Exits non-zero if any client gets more than its bucket allows. */
#include <stdio.h>
#include <string.h>

#include "tickguard.h"

static const tg_bucket_config_t PER_CLIENT = {
    .capacity = 3, .tokens = 1, .period_ticks = 100, .initial_fill = TG_BUCKET_FULL};
/* The operator's shedding rate: the same burst, 1 per 200 ticks. */
static const tg_bucket_config_t SHED = {
    .capacity = 3, .tokens = 1, .period_ticks = 200, .initial_fill = TG_BUCKET_FULL};

/* Header and entries in static storage: 176 + 8 × 16 bytes, no malloc. */
static TG_KEYED_TABLE(clients, 8);

enum { CLIENTS = 12 };
static unsigned served[CLIENTS];

static void ip_name(uint32_t ip, char *out, size_t len) {
  snprintf(out, len, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 255), (unsigned)(ip >> 8 & 255),
           (unsigned)(ip & 255));
}

/* One request from client `c` (10.0.0.c) at `now`: the HTTP status sent. */
static int request(unsigned c, uint64_t now) {
  uint32_t ip = (10u << 24) | (c + 1);
  uint64_t retry_at = 0;
  tg_status_t s = tg_keyed_acquire_u64(&clients.table, clients.entries, TG_KEYED_LEN(clients), ip, 1, now, &retry_at);
  char name[16];
  ip_name(ip, name, sizeof name);
  switch (s) {
    case TG_OK:
      served[c]++;
      printf("tick %4u  %-10s 200\n", (unsigned)now, name);
      return 200;
    case TG_REFUSED:
      printf("tick %4u  %-10s 429 retry at %u\n", (unsigned)now, name, (unsigned)retry_at);
      return 429;
    case TG_TABLE_FULL:
      printf("tick %4u  %-10s 503 table full, entry frees at %u\n", (unsigned)now, name, (unsigned)retry_at);
      return 503;
    default:
      fprintf(stderr, "acquire: %s\n", tg_status_str(s));
      return -1;
  }
}

static void occupancy(uint64_t now) {
  size_t limiting = 0;
  tg_keyed_limiting(&clients.table, clients.entries, TG_KEYED_LEN(clients), now, &limiting);
  printf("tick %4u  -- %u of %u entries limiting a client\n", (unsigned)now, (unsigned)limiting,
         (unsigned)TG_KEYED_LEN(clients));
}

int main(void) {
  tg_status_t s = tg_keyed_init(&clients.table, clients.entries, TG_KEYED_LEN(clients), &PER_CLIENT,
                                0x746967756172640aull, 0x6b65796564000001ull, TG_INIT_DEFAULT);
  if (s != TG_OK) {
    fprintf(stderr, "init: %s\n", tg_status_str(s));
    return 1;
  }
  int failed = 0;
  /* A greedy client: 5 requests at once, then one every 50 ticks. */
  for (int i = 0; i < 5; i++) failed |= request(0, 0) < 0;
  for (uint64_t t = 50; t <= 200; t += 50) failed |= request(0, t) < 0;
  occupancy(200);
  /* A crowd of new clients at tick 210: each takes a request from its own
   * bucket while entries are free; when a client's entry is held by one
   * still limiting, it is told when the entry frees. */
  int turned_away[CLIENTS] = {0};
  for (unsigned c = 1; c < CLIENTS; c++) {
    int status = request(c, 210);
    failed |= status < 0;
    turned_away[c] = status == 503;
  }
  occupancy(210);
  /* An IPv6 client, keyed by its 16 bytes. */
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42};
  uint64_t retry_at = 0;
  s = tg_keyed_acquire_bytes(&clients.table, clients.entries, TG_KEYED_LEN(clients), v6, sizeof v6, 1, 220, &retry_at);
  printf("tick  220  2001:db8::42 %s\n", s == TG_OK ? "200" : s == TG_TABLE_FULL ? "503 table full" : "429");
  /* 100 ticks later the clients served at 210 have their token back: full
   * again, as good as absent. The clients turned away try again: the first
   * to reach such an entry takes it over (its old client, if it returns,
   * starts with a full bucket, which it had anyway); the greedy client's
   * entry stays its own until its bucket is full at 500. */
  occupancy(310);
  for (unsigned c = 1; c < CLIENTS; c++) {
    if (turned_away[c]) failed |= request(c, 310) < 0;
  }
  occupancy(310);
  /* The greedy client, idle since 200, still has its limit or a fresh one. */
  for (int i = 0; i < 4; i++) failed |= request(0, 500) < 0;
  /* At tick 520 the operator sheds load: every client's rate halves, live,
   * while requests keep coming. The greedy client has a fifth of a token
   * (20 ticks of 100): it keeps it, and the rest comes at the new rate,
   * 160 ticks more. */
  s = tg_keyed_reconfigure(&clients.table, clients.entries, TG_KEYED_LEN(clients), &SHED, 520);
  printf("tick  520  -- every client's rate halved to 1 per 200 ticks: %s\n", tg_status_str(s));
  failed |= s != TG_OK;
  failed |= request(0, 600) < 0;
  failed |= request(0, 680) < 0;

  /* Over ticks 0..680 a client's bucket allows at most 3 + 680 / 100 (the
   * rate only fell). */
  for (unsigned c = 0; c < CLIENTS; c++) failed |= served[c] > 3 + 680 / 100;
  unsigned total = 0;
  for (unsigned c = 0; c < CLIENTS; c++) total += served[c];
  printf("served %u requests; no client above its limit: %s\n", total, failed ? "NO" : "yes");
  return failed ? 1 : 0;
}
