/* `verify` through the C ABI, as a C caller uses it: the example platform's images verified
 * offline from its OCI layout (every image signed but nordlab/lab-results:2.12.0-rc.1, which
 * inttest's policy only warns about), a refusal, and malformed or impossible requests, each
 * with its status and the error's JSON. Nothing is written (no pin, no candidate). Runs from
 * the repo's root, under valgrind. */
#include "ehdeploy.h"
#include "check.h"

/* How many times `part` occurs in `text`. */
static int count(const char *text, const char *part) {
  int n = 0;
  for (const char *at = strstr(text, part); at != NULL; at = strstr(at + strlen(part), part)) {
    n++;
  }
  return n;
}

static char *verify(const char *request, ehd_status expected) {
  char *answer = NULL;
  ehd_status status = ehd_call("verify", request, &answer);
  CHECK(answer != NULL);
  if (status != expected) {
    fprintf(stderr, "verify %s: got %s, want %s\n%s\n", request, ehd_status_name(status),
            ehd_status_name(expected), answer);
    exit(1);
  }
  return answer;
}

static void expect_error(const char *request, ehd_status expected, const char *code,
                         const char *message) {
  char *answer = verify(request, expected);
  char want[64];
  snprintf(want, sizeof want, "\"code\": \"%s\"", code);
  CHECK(strncmp(answer, "{\n  \"error\": {", 14) == 0);
  CHECK_CONTAINS(answer, want);
  CHECK_CONTAINS(answer, message);
  CHECK(strstr(answer, "\"images\"") == NULL);
  ehd_string_free(answer);
}

int main(void) {
  char *answer;

  /* the operation is there: the library is built with the core's `signatures` feature */
  CHECK(ehd_call("version", "{}", &answer) == EHD_OK);
  CHECK_CONTAINS(answer, "\"verify\"");
  ehd_string_free(answer);

  /* inttest from the layout: 8 images, 7 allowed, lab-results warned (unsigned) */
  answer = verify("{\"platform\": \"examples/platform\", \"environment\": \"inttest\","
                  " \"layout\": \"examples/platform/images\", \"processEnv\": false}",
                  EHD_OK);
  CHECK(count(answer, "\"reference\": ") == 8);
  CHECK(count(answer, "\"allowed\": true") == 7);
  CHECK(count(answer, "\"allowed\": false") == 1);
  CHECK(count(answer, "\"mode\": \"warn\"") == 8);
  CHECK(count(answer, "\"verified\": true") == 7);
  CHECK(count(answer, "\"outcome\": \"allowed\"") == 7);
  CHECK(count(answer, "\"outcome\": \"warned\"") == 1);
  CHECK_CONTAINS(answer, "\"app\": \"lab-results\",\n"
                         "      \"reference\": \"registry.ehealth.example/nordlab/lab-results:2.12.0-rc.1\"");
  /* the check's reason is the stable code alone, its message what failed; the decision's too */
  CHECK(count(answer, "\"reason\": \"unsigned\"") == 2);
  CHECK_CONTAINS(answer, "\"verified\": false,\n"
                         "            \"reason\": \"unsigned\",\n"
                         "            \"message\": \"no signature for "
                         "registry.ehealth.example/nordlab/lab-results@sha256:");
  CHECK(strstr(answer, "[signature/") == NULL);
  CHECK_CONTAINS(answer, "\"message\": \"no authority's signature verified (nordlab-ci: unsigned)\"");
  CHECK(count(answer, "\"rule\": ") == 1);
  CHECK_CONTAINS(answer, "\"rule\": \"signature/refused\",\n        \"severity\": \"warning\"");
  CHECK_CONTAINS(answer, "\"file\": \"examples/platform/values/lab-results/inttest.yaml\"");
  CHECK_CONTAINS(answer, "\"errors\": 0,\n      \"warnings\": 1,");
  CHECK_CONTAINS(answer, "\"files\": [],\n  \"written\": false");
  CHECK(strstr(answer, "\"recorded\"") == NULL);
  /* the same bytes as the parity answer's, without its final newline */
  FILE *recorded = fopen("tests/parity/answers/verify-inttest-layout.json", "rb");
  CHECK(recorded != NULL);
  size_t length = strlen(answer);
  char *expected = malloc(length + 2);
  CHECK(expected != NULL);
  size_t got = fread(expected, 1, length + 2, recorded);
  fclose(recorded);
  CHECK(got == length + 1 && expected[length] == '\n' && memcmp(expected, answer, length) == 0);
  free(expected);
  ehd_string_free(answer);

  /* exttest enforces: the unsigned image named by reference is refused with an error */
  answer = verify("{\"platform\": \"examples/platform\", \"environment\": \"exttest\","
                  " \"images\": [\"registry.ehealth.example/nordlab/lab-results:2.12.0-rc.1\"],"
                  " \"layout\": \"examples/platform/images\", \"processEnv\": false}",
                  EHD_OK);
  CHECK(count(answer, "\"reference\": ") == 1);
  CHECK(count(answer, "\"allowed\": false") == 1);
  CHECK_CONTAINS(answer, "\"mode\": \"enforce\"");
  CHECK_CONTAINS(answer, "\"outcome\": \"refused\"");
  CHECK_CONTAINS(answer, "\"rule\": \"signature/refused\",\n        \"severity\": \"error\"");
  CHECK_CONTAINS(answer, "\"errors\": 1,");
  ehd_string_free(answer);

  /* malformed requests: invalid-request, with the place in the request */
  expect_error("{\"platform\": \"examples/platform\", \"layuot\": \"examples/platform/images\"}",
               EHD_INVALID_REQUEST, "invalid-request", "layuot");
  expect_error("{\"platform\": \"examples/platform\", \"images\": \"not-a-list\"}",
               EHD_INVALID_REQUEST, "invalid-request", "\"file\": \"<request>\"");
  expect_error("{\"environment\": \"inttest\"}", EHD_INVALID_REQUEST, "invalid-request",
               "platform");
  expect_error("{\"platform\": \"examples/platform\", \"concurrency\": -1}", EHD_INVALID_REQUEST,
               "invalid-request", "\"locations\"");
  /* impossible ones: usage; a layout that cannot be read: io */
  expect_error("{\"platform\": \"examples/platform\", \"layout\": \"examples/platform/images\","
               " \"write\": true}",
               EHD_USAGE, "usage", "give `pin` too");
  expect_error("{\"platform\": \"tests/parity/planted\", \"processEnv\": false}", EHD_USAGE,
               "usage", "the platform file has no trust policy");
  expect_error("{\"platform\": \"examples/platform\", \"environment\": \"staging\","
               " \"layout\": \"examples/platform/images\"}",
               EHD_USAGE, "usage", "environment `staging` is not in the platform file");
  expect_error("{\"platform\": \"examples/platform\", \"layout\": \"no/such/layout\"}", EHD_IO,
               "io", "the OCI layout no/such/layout: ");

  puts("test_verify: ok");
  return 0;
}
