/* shared_processes.c: one rate limit shared by worker processes, as nginx's
 * limit_req zones are. The bucket lives in shared memory that each worker
 * maps at its own address; it is initialised with TG_INIT_SHARED, so it is
 * not tied to the address it was initialised at. Each worker hammers it;
 * together they never get more than capacity + refill.
 *
 * Also checks that an object initialised without TG_INIT_SHARED is refused
 * (TG_E_MOVED) when seen through another mapping. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tickguard.h"

enum { WORKERS = 4, REQUESTS = 20000, CAPACITY = 50, TICKS = 1000 };

struct zone {
  tg_bucket_t limit;   /* TG_INIT_SHARED */
  tg_bucket_t private_; /* initialised without it */
  uint64_t clock;       /* a shared tick counter the workers advance */
  uint64_t granted[WORKERS];
};

static struct zone *map_zone(int fd) {
  void *at = mmap(NULL, sizeof(struct zone), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return at == MAP_FAILED ? NULL : (struct zone *)at;
}

int main(void) {
  int fd = memfd_create("tickguard-zone", 0);
  if (fd < 0 || ftruncate(fd, sizeof(struct zone)) != 0) {
    perror("memfd");
    return 1;
  }
  struct zone *zone = map_zone(fd);
  if (zone == NULL) {
    perror("mmap");
    return 1;
  }
  /* 1 token per 10 ticks, bursts of CAPACITY. */
  const tg_bucket_config_t config = {
      .capacity = CAPACITY, .tokens = 1, .period_ticks = 10, .initial_fill = TG_BUCKET_FULL};
  if (tg_bucket_init_ex(&zone->limit, &config, TG_INIT_SHARED) != TG_OK ||
      tg_bucket_init(&zone->private_, &config) != TG_OK) {
    fprintf(stderr, "init failed\n");
    return 1;
  }

  for (int w = 0; w < WORKERS; w++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      /* The worker maps the zone again: another address for the same memory. */
      struct zone *mine = map_zone(fd);
      if (mine == NULL || mine == zone) _exit(2);
      if (tg_bucket_acquire(&mine->private_, 1, 0, NULL) != TG_E_MOVED) _exit(3);
      for (int i = 0; i < REQUESTS; i++) {
        uint64_t now = __atomic_load_n(&mine->clock, __ATOMIC_RELAXED);
        if (i % 100 == 0 && now < TICKS) now = __atomic_add_fetch(&mine->clock, 1, __ATOMIC_RELAXED);
        tg_status_t s = tg_bucket_acquire(&mine->limit, 1, now, NULL);
        if (s == TG_OK) {
          mine->granted[w]++;
        } else if (s != TG_REFUSED) {
          _exit(4);
        }
      }
      _exit(0);
    }
  }
  int failed = 0;
  for (int w = 0; w < WORKERS; w++) {
    int status = 0;
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  uint64_t total = 0;
  for (int w = 0; w < WORKERS; w++) total += zone->granted[w];
  uint64_t bound = CAPACITY + zone->clock / 10;
  printf("%d worker processes, each at its own mapping: %llu granted, bound %llu\n", WORKERS,
         (unsigned long long)total, (unsigned long long)bound);
  int ok = !failed && total <= bound && total >= bound * 9 / 10;
  puts(ok ? "shared limit held across processes" : "FAILED");
  return ok ? 0 : 1;
}
