#include "engine/processor_config.hpp"

#include <boost/json.hpp>

#include "engine/json_file.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

Error bad(const std::filesystem::path& file, const std::string& what) {
  return make_error(ErrorCode::invalid_request, file.string() + ": " + what);
}

Status read_longest_edge(const json::object& o, std::string_view key, int& out, const std::filesystem::path& file) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return Status();
  const json::value* edge = v->is_object() ? v->get_object().if_contains("longest_edge") : nullptr;
  if (!edge || !edge->is_int64() || edge->get_int64() <= 0)
    return bad(file, std::string(key) + " must be {\"longest_edge\": positive integer}");
  out = static_cast<int>(edge->get_int64());
  return Status();
}

Status read_image(const json::object& o, ImageProcessorConfig& c, const std::filesystem::path& file) {
  for (auto [key, field] : {std::pair{"do_convert_rgb", &c.do_convert_rgb}, {"do_resize", &c.do_resize},
                            {"do_rescale", &c.do_rescale}, {"do_normalize", &c.do_normalize},
                            {"do_pad", &c.do_pad}, {"do_image_splitting", &c.do_image_splitting}})
    if (const json::value* v = o.if_contains(key); v && v->is_bool()) *field = v->get_bool();
  if (Status s = read_longest_edge(o, "size", c.longest_edge, file); !s.ok()) return s;
  if (Status s = read_longest_edge(o, "max_image_size", c.tile_size, file); !s.ok()) return s;
  if (const json::value* v = o.if_contains("resample"); v && v->is_int64()) c.resample = static_cast<int>(v->get_int64());
  if (const json::value* v = o.if_contains("rescale_factor"); v && v->is_number())
    c.rescale_factor = v->to_number<double>();
  for (auto [key, field] : {std::pair{"image_mean", &c.mean}, {"image_std", &c.std}}) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) continue;
    if (!v->is_array() || v->get_array().size() != 3) return bad(file, std::string(key) + " must hold 3 numbers");
    for (std::size_t i = 0; i < 3; ++i) {
      if (!v->get_array()[i].is_number()) return bad(file, std::string(key) + " must hold 3 numbers");
      (*field)[i] = v->get_array()[i].to_number<double>();
    }
  }
  return Status();
}

void read_image_seq_len(const json::object& o, int& out) {
  if (const json::value* v = o.if_contains("image_seq_len"); v && v->is_int64()) out = static_cast<int>(v->get_int64());
}

}  // namespace

Result<ProcessorConfig> load_processor_config(const std::filesystem::path& folder) {
  ProcessorConfig c;
  const std::filesystem::path processor_file = folder / "processor_config.json";
  const std::filesystem::path preprocessor_file = folder / "preprocessor_config.json";
  std::error_code ec;
  json::value processor;
  if (std::filesystem::exists(processor_file, ec)) {
    auto p = read_json_file(processor_file);
    if (!p.ok()) return p.error();
    if (!p->is_object()) return bad(processor_file, "not a JSON object");
    processor = std::move(*p);
    read_image_seq_len(processor.get_object(), c.image_seq_len);
  }
  const json::value* nested = processor.is_object() ? processor.get_object().if_contains("image_processor") : nullptr;
  if (nested) {
    c.layout = ProcessorConfig::Layout::transformers5;
    if (!nested->is_object()) return bad(processor_file, "image_processor is not an object");
    if (Status s = read_image(nested->get_object(), c.image, processor_file); !s.ok()) return s.error();
    c.video.longest_edge = c.image.tile_size;
    c.video.tile_size = c.image.tile_size;
    if (const json::value* video = processor.get_object().if_contains("video_processor")) {
      if (!video->is_object()) return bad(processor_file, "video_processor is not an object");
      const json::object& v = video->get_object();
      if (const json::value* fps = v.if_contains("fps"); fps && fps->is_number()) c.video.fps = fps->to_number<double>();
      if (const json::value* n = v.if_contains("num_frames"); n && n->is_int64()) c.video.max_frames = static_cast<int>(n->get_int64());
      if (Status s = read_longest_edge(v, "size", c.video.longest_edge, processor_file); !s.ok()) return s.error();
      if (Status s = read_longest_edge(v, "max_image_size", c.video.tile_size, processor_file); !s.ok())
        return s.error();
    }
    return c;
  }
  auto pre = read_json_file(preprocessor_file);
  if (!pre.ok()) {
    if (pre.error().code == ErrorCode::not_found)
      return make_error(ErrorCode::not_found, folder.string() +
                                                  ": no processor config (neither preprocessor_config.json nor "
                                                  "processor_config.json with image_processor)");
    return pre.error();
  }
  if (!pre->is_object()) return bad(preprocessor_file, "not a JSON object");
  const json::object& o = pre->get_object();
  if (Status s = read_image(o, c.image, preprocessor_file); !s.ok()) return s.error();
  c.video.longest_edge = c.image.tile_size;
  c.video.tile_size = c.image.tile_size;
  if (const json::value* vs = o.if_contains("video_sampling"); vs && vs->is_object()) {
    const json::object& v = vs->get_object();
    if (const json::value* fps = v.if_contains("fps"); fps && fps->is_number()) c.video.fps = fps->to_number<double>();
    if (const json::value* n = v.if_contains("max_frames"); n && n->is_int64()) c.video.max_frames = static_cast<int>(n->get_int64());
    if (Status s = read_longest_edge(v, "video_size", c.video.longest_edge, preprocessor_file); !s.ok()) return s.error();
    // SmolVLMVideoProcessor.__init__ overwrites video_size with "size" when both are given.
    if (o.contains("size")) c.video.longest_edge = c.image.longest_edge;
  }
  if (c.image_seq_len == 0) read_image_seq_len(o, c.image_seq_len);
  return c;
}

}  // namespace sl::engine
