/* The C ABI as a C caller uses it: answers, every error status with its JSON, NULLs, bad
 * UTF-8 and a forced panic (the library is built with the fault-injection feature). Runs
 * from the repo's root, under valgrind: no leak, no invalid read. */
#include "ehdeploy.h"
#include "check.h"

static ehd_status call(const char *op, const char *request, char **answer) {
  *answer = NULL;
  ehd_status status = ehd_call(op, request, answer);
  CHECK(*answer != NULL);
  return status;
}

static void expect_error(const char *op, const char *request, ehd_status expected,
                         const char *code) {
  char *answer;
  ehd_status status = call(op, request, &answer);
  if (status != expected) {
    fprintf(stderr, "%s %s: got %s, want %s\n%s\n", op ? op : "NULL",
            request ? request : "NULL", ehd_status_name(status), ehd_status_name(expected),
            answer);
    exit(1);
  }
  char want[64];
  snprintf(want, sizeof want, "\"code\": \"%s\"", code);
  CHECK_CONTAINS(answer, "{\n  \"error\": {");
  CHECK_CONTAINS(answer, want);
  ehd_string_free(answer);
}

int main(void) {
  /* version: static, not freed */
  CHECK(strcmp(ehd_version(), "") != 0);
  CHECK(strcmp(ehd_status_name(EHD_PANIC), "EHD_PANIC") == 0);
  CHECK(strcmp(ehd_status_name(1234), "EHD_UNKNOWN_STATUS") == 0);

  char *answer;
  CHECK(call("version", "{}", &answer) == EHD_OK);
  CHECK_CONTAINS(answer, ehd_version());
  CHECK_CONTAINS(answer, "\"debug_panic\"");
  ehd_string_free(answer);

  /* the main job: the example platform has warnings and no error */
  CHECK(call("check", "{\"platformDir\": \"examples/platform\", \"processEnv\": false}", &answer) ==
        EHD_OK);
  CHECK_CONTAINS(answer, "\"errors\": 0,");
  CHECK_CONTAINS(answer, "\"rule\": \"promotion/manual\"");
  ehd_string_free(answer);
  CHECK(ehd_check("examples/platform", &answer) == EHD_OK);
  CHECK_CONTAINS(answer, "\"errors\": 0,");
  ehd_string_free(answer);

  /* a planted violation is an answer, not an error */
  CHECK(call("validate",
             "{\"files\": [\"tests/parity/planted/envs/test.yaml\"],"
             " \"platform\": \"tests/parity/planted/platform.yaml\", \"processEnv\": false}",
             &answer) == EHD_OK);
  CHECK_CONTAINS(answer, "\"rule\": \"image/tag-latest\"");
  ehd_string_free(answer);

  /* errors: each its status and its code */
  expect_error("nope", "{}", EHD_UNKNOWN_OPERATION, "unknown-operation");
  expect_error("validate", "{not json", EHD_INVALID_REQUEST, "invalid-request");
  expect_error("validate", "{\"files\": [], \"platfrom\": 1}", EHD_INVALID_REQUEST,
               "invalid-request");
  expect_error("validate", "{\"files\": 42}", EHD_INVALID_REQUEST, "invalid-request");
  expect_error("validate", "{\"files\": [\"no/such/file.yaml\"]}", EHD_IO, "io");
  expect_error("promotion_plan",
               "{\"platform\": \"examples/platform\", \"from\": \"preprod\", \"to\": \"staging\"}",
               EHD_USAGE, "usage");
  expect_error(NULL, "{}", EHD_NULL_ARGUMENT, "invalid-argument");
  expect_error("version", NULL, EHD_NULL_ARGUMENT, "invalid-argument");
  expect_error("version", "{\"x\": \"\xff\xfe\"}", EHD_INVALID_UTF8, "invalid-argument");
  CHECK(ehd_check(NULL, &answer) == EHD_NULL_ARGUMENT);
  ehd_string_free(answer);

  /* NULL out-parameter: refused, nothing written, nothing leaked */
  CHECK(ehd_call("version", "{}", NULL) == EHD_NULL_ARGUMENT);
  ehd_string_free(NULL);

  /* a panic inside an operation: an error, and the library keeps working */
  expect_error("debug_panic", "{\"message\": \"forced by test_api.c\"}", EHD_PANIC, "panic");
  CHECK(call("version", "{}", &answer) == EHD_OK);
  ehd_string_free(answer);

  puts("test_api: ok");
  return 0;
}
