/* Eight threads call at once, each many times; every answer equals the one-thread answer. */
#include <pthread.h>

#include "ehdeploy.h"
#include "check.h"

#define THREADS 8
#define ROUNDS 4

static const char *const QUESTIONS[][2] = {
    {"check", "{\"platformDir\": \"examples/platform\", \"processEnv\": false}"},
    {"validate",
     "{\"files\": [\"tests/parity/planted/envs/test.yaml\"],"
     " \"platform\": \"tests/parity/planted/platform.yaml\", \"processEnv\": false}"},
    {"promotion_plan",
     "{\"platform\": \"examples/platform\", \"from\": \"exttest\", \"to\": \"preprod\","
     " \"processEnv\": false}"},
    {"nope", "{}"},
    {"debug_panic", "{\"message\": \"from a thread\"}"},
};
#define N_QUESTIONS (sizeof QUESTIONS / sizeof QUESTIONS[0])

static char *expected[N_QUESTIONS];
static ehd_status expected_status[N_QUESTIONS];

static void *worker(void *arg) {
  size_t offset = (size_t)arg;
  for (int round = 0; round < ROUNDS; round++) {
    for (size_t i = 0; i < N_QUESTIONS; i++) {
      size_t q = (i + offset) % N_QUESTIONS;
      char *answer = NULL;
      ehd_status status = ehd_call(QUESTIONS[q][0], QUESTIONS[q][1], &answer);
      CHECK(status == expected_status[q]);
      CHECK(answer != NULL && strcmp(answer, expected[q]) == 0);
      ehd_string_free(answer);
    }
  }
  return NULL;
}

int main(void) {
  for (size_t q = 0; q < N_QUESTIONS; q++) {
    expected_status[q] = ehd_call(QUESTIONS[q][0], QUESTIONS[q][1], &expected[q]);
  }
  CHECK(expected_status[0] == EHD_OK);
  CHECK(expected_status[3] == EHD_UNKNOWN_OPERATION);
  CHECK(expected_status[4] == EHD_PANIC);
  pthread_t threads[THREADS];
  for (size_t t = 0; t < THREADS; t++) {
    CHECK(pthread_create(&threads[t], NULL, worker, (void *)t) == 0);
  }
  for (size_t t = 0; t < THREADS; t++) {
    CHECK(pthread_join(threads[t], NULL) == 0);
  }
  for (size_t q = 0; q < N_QUESTIONS; q++) {
    ehd_string_free(expected[q]);
  }
  printf("test_threads: %d threads x %d rounds x %zu questions: ok\n", THREADS, ROUNDS,
         N_QUESTIONS);
  return 0;
}
