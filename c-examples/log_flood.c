/* log_flood.c: an embedded log-flood guard with a tickguard fixed window.
 *
 * A sensor driver logs every bus error. When the bus goes bad, errors come
 * from the interrupt handler hundreds of times a second and the log (a UART
 * at 115200 baud, a flash ring) would drown. Each message class goes through
 * its own fixed window, as the Linux kernel's printk_ratelimited does: at
 * most 3 lines per 1 000 ticks (1 ms ticks), then one line saying how many
 * were suppressed when the next window begins. Each call is one atomic
 * step, so an interrupt handler and the main loop may share a window and no
 * suppressed message is counted twice or lost; a reboot keeps the window (a
 * snapshot).
 *
 * Exits non-zero if a window ever lets more than its burst through, or if
 * a suppressed message goes unreported. */
#include <stdio.h>
#include <stdlib.h>

#include "tickguard.h"

/* const: the configuration can live in flash. */
static const tg_fixed_window_config_t LOG_LIMIT = {.burst = 3, .interval_ticks = 1000};

/* One window per message class, in zero-initialised static storage. */
static tg_fixed_window_t bus_errors, calibration;

static unsigned printed, suppressed_total, reported_total;

/* The guarded log call: what an interrupt handler or the main loop runs. */
static void log_limited(tg_fixed_window_t *window, const char *class, uint64_t now, const char *message) {
  tg_fixed_window_decision_t d;
  tg_status_t status = tg_fixed_window_acquire(window, 1, now, &d);
  if (status != TG_OK && status != TG_REFUSED) {
    fprintf(stderr, "acquire: %s\n", tg_status_str(status));
    exit(1);
  }
  if (d.missed > 0) {
    printf("[%6u] %s: %u messages suppressed\n", (unsigned)now, class, (unsigned)d.missed);
    reported_total += d.missed;
  }
  if (status == TG_OK) {
    printf("[%6u] %s: %s\n", (unsigned)now, class, message);
    printed++;
  } else {
    suppressed_total++;
  }
}

int main(void) {
  if (tg_fixed_window_init(&bus_errors, &LOG_LIMIT) != TG_OK || tg_fixed_window_init(&calibration, &LOG_LIMIT) != TG_OK) {
    fprintf(stderr, "init failed\n");
    return 1;
  }
  /* A storm: a bus error every 2 ms for 2.5 s, and a calibration warning
   * every 100 ms, from t = 10 s. */
  for (uint64_t now = 10000; now < 12500; now += 2) {
    log_limited(&bus_errors, "i2c", now, "NACK from sensor 0x48");
    if (now % 100 == 0) log_limited(&calibration, "cal", now, "offset drift above 2%");
  }
  /* The storm is over; an error now and then gets through at once, with the
   * tail of the storm's count. */
  log_limited(&bus_errors, "i2c", 15000, "NACK from sensor 0x48");
  log_limited(&bus_errors, "i2c", 15001, "NACK from sensor 0x48");

  /* A reboot in the middle of another storm: the window survives it (the
   * tick counter restarts at 0), so the reboot does not let a new burst out. */
  for (uint64_t now = 20000; now < 20010; now++) log_limited(&bus_errors, "i2c", now, "NACK from sensor 0x48");
  uint8_t saved[TG_FIXED_WINDOW_SNAPSHOT_SIZE];
  if (tg_fixed_window_snapshot(&bus_errors, 20010, saved, sizeof saved) != TG_OK) return 1;
  printf("-- reboot (window saved at tick 20010, restored at tick 0) --\n");
  if (tg_fixed_window_init_ex(&bus_errors, &LOG_LIMIT, TG_INIT_REINIT) != TG_OK ||
      tg_fixed_window_restore(&bus_errors, saved, sizeof saved, 0) != TG_OK) {
    return 1;
  }
  for (uint64_t now = 0; now < 1300; now += 100) log_limited(&bus_errors, "i2c", now, "NACK from sensor 0x48");

  /* Shutdown: flush what the current windows still hold. */
  uint32_t tail = 0;
  tg_fixed_window_take_missed(&bus_errors, &tail);
  reported_total += tail;
  printf("at shutdown: %u i2c messages suppressed\n", (unsigned)tail);
  tg_fixed_window_take_missed(&calibration, &tail);
  reported_total += tail;
  printf("at shutdown: %u cal messages suppressed\n", (unsigned)tail);
  printf("printed %u, suppressed %u, reported suppressed %u\n", printed, suppressed_total, reported_total);
  /* Bus errors: 3 lines in each window that began at 10000, 11000, 12000,
   * 20000 and, after the reboot, 1000 (the saved window ended at tick 990);
   * the 2 lone errors at 15000. Calibration: 3 lines in each of 10000,
   * 11000 and 12000. */
  if (printed != 5 * 3 + 2 + 3 * 3 || reported_total != suppressed_total) return 1;
  return 0;
}
