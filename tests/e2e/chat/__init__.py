# A package, so that this directory's conftest.py is imported as chat.conftest and never shadows
# tests/e2e/conftest.py, which the other suites import as `conftest`.
