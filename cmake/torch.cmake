# libtorch for the engine's forward pass (sl_engine_torch), found one of two ways; sets Torch_FOUND
# and TORCH_LIBRARIES as find_package(Torch) does (docs/engine.md, "The forward pass").
#  - find_package(Torch): Debian's libtorch-dev (CPU), or any libtorch whose CMake package loads
#    here (CMAKE_PREFIX_PATH). The package of a CUDA build looks for a CUDA toolkit and stops
#    when there is none.
#  - SIGHTLINE_TORCH_ROOT: a libtorch folder holding include/ and lib/, e.g. site-packages/torch
#    of PyPI's torch wheel (a CUDA build), linked directly, so no CUDA toolkit is needed: the
#    engine calls only libtorch's C++ API, and the CUDA kernels come with libtorch_cuda.so, which
#    libtorch.so loads at run time (kept on the link line for that reason: at::hasCUDA() is
#    false unless it is loaded).
set(SIGHTLINE_TORCH_ROOT "" CACHE PATH
    "libtorch folder with include/ and lib/ (e.g. site-packages/torch of PyPI's torch wheel), linked without its CMake package")

if(NOT SIGHTLINE_TORCH_ROOT)
  find_package(Torch QUIET)
  return()
endif()

set(_root ${SIGHTLINE_TORCH_ROOT})
foreach(_lib torch torch_cpu c10)
  find_library(SIGHTLINE_TORCH_${_lib} ${_lib} PATHS ${_root}/lib NO_DEFAULT_PATH)
  if(NOT SIGHTLINE_TORCH_${_lib})
    message(FATAL_ERROR "SIGHTLINE_TORCH_ROOT=${_root}: lib/lib${_lib}.so not found")
  endif()
endforeach()
if(NOT EXISTS ${_root}/include/torch/csrc/api/include/torch/torch.h)
  message(FATAL_ERROR "SIGHTLINE_TORCH_ROOT=${_root}: include/torch/csrc/api/include/torch/torch.h not found")
endif()
# sightline builds with the C++11 std::string ABI and passes strings to libtorch (c10::Device).
file(STRINGS ${SIGHTLINE_TORCH_c10} _cxx11 REGEX "__cxx11" LIMIT_COUNT 1)
if(NOT _cxx11)
  message(FATAL_ERROR "SIGHTLINE_TORCH_ROOT=${_root}: this libtorch uses the pre-C++11 std::string ABI")
endif()

add_library(sl_libtorch INTERFACE)
target_include_directories(sl_libtorch SYSTEM INTERFACE ${_root}/include ${_root}/include/torch/csrc/api/include)
target_link_libraries(sl_libtorch INTERFACE
  -Wl,--push-state,--no-as-needed ${SIGHTLINE_TORCH_torch} -Wl,--pop-state
  ${SIGHTLINE_TORCH_torch_cpu} ${SIGHTLINE_TORCH_c10})
# The test binaries then need libtorch's CUDA runtime libraries to start, which a build machine
# may lack: list their tests when ctest runs rather than at build time.
set(CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE PRE_TEST)
set(Torch_FOUND TRUE)
set(TORCH_LIBRARIES sl_libtorch)
set(_version "")
if(EXISTS ${_root}/version.py)  # a wheel's: __version__ = '2.11.0+cu130'
  file(STRINGS ${_root}/version.py _version REGEX "^__version__" LIMIT_COUNT 1)
endif()
message(STATUS "libtorch from SIGHTLINE_TORCH_ROOT=${_root} ${_version}")
