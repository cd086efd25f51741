# Compiler settings for a SIGHTLINE_FUZZ build (included by the top CMakeLists.txt before the
# modules, so every project library is instrumented the same way). libFuzzer is clang's:
# configure a separate build dir with CC=clang-16 CXX=clang++-16 (fuzz/README.md).
# Clang 16 or newer: older ones reject C++20 that GCC 12 accepts and src/ uses (lambdas that
# capture structured bindings, P1091/P1381). Debian 12: clang-16 and libclang-rt-16-dev.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
  message(FATAL_ERROR "SIGHTLINE_FUZZ=ON needs clang >= 16 with libFuzzer: configure a build dir "
                      "of its own with CC=clang-16 CXX=clang++-16 (fuzz/README.md)")
endif()
if(SIGHTLINE_SANITIZE)
  message(FATAL_ERROR "SIGHTLINE_FUZZ already builds with ASan+UBSan; leave SIGHTLINE_SANITIZE OFF")
endif()

# Libraries: coverage instrumentation for libFuzzer (no fuzzer main) plus ASan and UBSan; any
# UB report aborts, so libFuzzer records it as a crash with its input.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer)
# The fuzz executables add -fsanitize=fuzzer themselves (fuzz/CMakeLists.txt); everything else
# linked in this build dir gets the sanitizer runtimes only.
add_link_options(-fsanitize=address,undefined)

# src/ builds with -Wall -Wextra -Werror under clang 16 as it is; a clang-only warning that
# breaks this build would be silenced here, for the fuzz configuration only (none needed).
