/* ehd_call OP [REQUEST_JSON]: ask ehdeploy one question through the C ABI and print the
 * answer. Exit status: the ehd_status value (0 with an answer).
 *
 *   cc -o ehd_call ehd_call.c $(pkg-config --cflags --libs ehdeploy)
 *   ./ehd_call check '{"platformDir": "examples/platform"}'
 */
#include <stdio.h>

#include "ehdeploy.h"

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s OP [REQUEST_JSON]   (ehdeploy %s)\n", argv[0], ehd_version());
    return 64;
  }
  char *answer = NULL;
  ehd_status status = ehd_call(argv[1], argc == 3 ? argv[2] : "{}", &answer);
  if (answer != NULL) {
    puts(answer);
    ehd_string_free(answer);
  }
  if (status != EHD_OK) {
    fprintf(stderr, "ehd_call: %s\n", ehd_status_name(status));
  }
  return (int)status;
}
