/* The C side of crates/ehdeploy/benches/bindings.rs: time a no-op call and a check of a
 * platform repo through the C ABI, the same way the Rust and Python sides do.
 *
 *   bench_bindings PLATFORM_DIR  ->  prints "noop_ns <mean>" and "check_ns <median>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ehdeploy.h"

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void ask(const char *op, const char *request) {
  char *answer = NULL;
  ehd_status status = ehd_call(op, request, &answer);
  if (status != EHD_OK) {
    fprintf(stderr, "%s failed: %s\n%s\n", op, ehd_status_name(status), answer);
    exit(1);
  }
  ehd_string_free(answer);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PLATFORM_DIR\n", argv[0]);
    return 64;
  }
  /* no-op: the best mean of 5 batches of 100,000 calls */
  double best = 1e18;
  for (int batch = 0; batch < 5; batch++) {
    double start = now_ns();
    for (int i = 0; i < 100000; i++) ask("version", "{}");
    double mean = (now_ns() - start) / 100000.0;
    if (mean < best) best = mean;
  }
  printf("noop_ns %.1f\n", best);

  /* check: the median of 15 runs after 3 warm-ups */
  char request[4096];
  snprintf(request, sizeof request, "{\"platformDir\":\"%s\",\"processEnv\":false}", argv[1]);
  for (int i = 0; i < 3; i++) ask("check", request);
  double runs[15];
  for (int i = 0; i < 15; i++) {
    double start = now_ns();
    ask("check", request);
    runs[i] = now_ns() - start;
  }
  qsort(runs, 15, sizeof runs[0], by_value);
  printf("check_ns %.0f\n", runs[7]);
  return 0;
}
