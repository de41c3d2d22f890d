/* std_neighbour.c: a C program linking libtickguard.a beside another Rust
 * static library built with std (c-examples/std-neighbour). Both define
 * Rust's runtime symbols internally; the link must succeed in either order. */
#include <stddef.h>
#include <stdio.h>

#include "tickguard.h"

size_t neighbour_distinct_words(const char *text);

int main(void) {
  static tg_bucket_t bucket;
  const tg_bucket_config_t config = {2, 1, 100, TG_BUCKET_FULL};
  int ok = tg_bucket_init(&bucket, &config) == TG_OK;
  ok = ok && tg_bucket_acquire(&bucket, 2, 0, NULL) == TG_OK;
  ok = ok && tg_bucket_acquire(&bucket, 1, 0, NULL) == TG_REFUSED;
  ok = ok && neighbour_distinct_words("to be or not to be") == 4;
  puts(ok ? "tickguard and a std-based Rust library work side by side" : "FAILED");
  return ok ? 0 : 1;
}
