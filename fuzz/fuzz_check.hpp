// A property check for fuzz targets: on failure, say what broke and abort, which libFuzzer
// records as a crash (with the input saved as crash-<sha1>).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   #cond, what);                                                      \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
