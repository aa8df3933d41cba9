/* A minimal assertion helper for the C tests: report the place and exit non-zero. */
#ifndef EHD_TEST_CHECK_H
#define EHD_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

#define CHECK_CONTAINS(text, part)                                                    \
  do {                                                                                \
    if ((text) == NULL || strstr((text), (part)) == NULL) {                           \
      fprintf(stderr, "%s:%d: `%s` not in:\n%s\n", __FILE__, __LINE__, (part),        \
              (text) ? (text) : "(null)");                                            \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

#endif
