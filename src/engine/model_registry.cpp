// The one dispatch point from an architecture string to its family. Adding a family: write
// its file (see smolvlm_family.cpp) and add it to the list below.
#include "engine/model_family.hpp"
#include "engine/smolvlm_family.hpp"

namespace sl::engine {

std::span<const ModelFamily* const> model_families() {
  static const ModelFamily* const families[] = {&smolvlm_family()};
  return families;
}

const ModelFamily* find_model_family(std::string_view architecture) {
  for (const ModelFamily* f : model_families())
    for (std::string_view a : f->architectures())
      if (a == architecture) return f;
  return nullptr;
}

}  // namespace sl::engine
