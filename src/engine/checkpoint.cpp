#include "engine/checkpoint.hpp"

#include <boost/json.hpp>

#include "engine/json_file.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Error with_file(Error e, const std::filesystem::path& file) {
  if (e.message.rfind("config.json: ", 0) == 0) e.message.erase(0, 13);
  e.message = file.string() + ": " + e.message;
  return e;
}

Result<std::string> load_chat_template(const std::filesystem::path& folder) {
  std::error_code ec;
  if (std::filesystem::exists(folder / "chat_template.jinja", ec)) return read_text_file(folder / "chat_template.jinja");
  for (const char* name : {"chat_template.json", "tokenizer_config.json"}) {
    const std::filesystem::path file = folder / name;
    if (!std::filesystem::exists(file, ec)) continue;
    auto j = read_json_file(file);
    if (!j.ok()) return j.error();
    const json::value* t = j->is_object() ? j->get_object().if_contains("chat_template") : nullptr;
    if (t && t->is_string()) return std::string(t->get_string());
    if (t && t->is_array()) {  // named templates: take "default"
      for (const json::value& entry : t->get_array())
        if (entry.is_object() && entry.get_object().if_contains("name") && entry.at("name") == "default" &&
            entry.get_object().if_contains("template") && entry.at("template").is_string())
          return std::string(entry.at("template").get_string());
    }
    if (t) return make_error(ErrorCode::invalid_request, file.string() + ": chat_template is not a string");
  }
  return make_error(ErrorCode::not_found, folder.string() +
                                              ": no chat template (chat_template.jinja, chat_template.json or "
                                              "tokenizer_config.json's chat_template)");
}

Result<std::map<std::string, std::string>> load_special_tokens(const std::filesystem::path& folder) {
  std::map<std::string, std::string> out;
  const std::filesystem::path file = folder / "tokenizer_config.json";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return out;
  auto j = read_json_file(file);
  if (!j.ok()) return j.error();
  if (!j->is_object()) return make_error(ErrorCode::invalid_request, file.string() + ": not a JSON object");
  for (const char* key : {"bos_token", "eos_token", "pad_token", "unk_token"}) {
    const json::value* v = j->get_object().if_contains(key);
    if (v && v->is_string()) out[key] = std::string(v->get_string());
    if (v && v->is_object() && v->get_object().if_contains("content") && v->at("content").is_string())
      out[key] = std::string(v->at("content").get_string());
  }
  return out;
}

}  // namespace

Status check_weights(const ModelSpec& spec, const Weights& weights, const std::filesystem::path& folder) {
  for (const TensorSpec& t : spec.tensors) {
    const TensorView* view = weights.find(t.name);
    if (!view) {
      if (t.optional) continue;
      return make_error(ErrorCode::invalid_request,
                        folder.string() + ": the weights lack tensor '" + t.name + "' that " + spec.architecture + " needs");
    }
    if (view->shape != t.shape)
      return make_error(ErrorCode::invalid_request, folder.string() + ": shape mismatch for '" + t.name + "': the file has " +
                                                        shape_text(view->shape) + ", config.json implies " + shape_text(t.shape));
    if (!is_loadable_float(view->dtype))
      return make_error(ErrorCode::unsupported, folder.string() + ": tensor '" + t.name + "' has dtype " +
                                                    std::string(dtype_name(view->dtype)) + " (F32, F16 or BF16 expected)");
  }
  return Status();
}

Result<Checkpoint> load_checkpoint(const std::filesystem::path& folder) {
  Checkpoint c;
  c.folder = folder;
  const std::filesystem::path config_file = folder / "config.json";
  auto config = read_json_file(config_file);
  if (!config.ok()) return config.error();
  if (!config->is_object()) return make_error(ErrorCode::invalid_request, config_file.string() + ": not a JSON object");
  c.config = std::move(*config);
  const json::object& o = c.config.get_object();
  const json::value* archs = o.if_contains("architectures");
  if (!archs || !archs->is_array() || archs->get_array().empty() || !archs->get_array()[0].is_string())
    return make_error(ErrorCode::invalid_request, config_file.string() + ": \"architectures\" is missing");
  const std::string architecture(archs->get_array()[0].get_string());
  c.family = find_model_family(architecture);
  if (!c.family) {
    std::string known;
    for (const ModelFamily* f : model_families())
      for (std::string_view a : f->architectures()) known += (known.empty() ? "" : ", ") + std::string(a);
    return make_error(ErrorCode::unsupported,
                      config_file.string() + ": architecture " + architecture + " is not supported (supported: " + known + ")");
  }
  auto spec = c.family->describe(o);
  if (!spec.ok()) return with_file(spec.error(), config_file);
  c.spec = std::move(*spec);
  c.spec.architecture = architecture;

  auto weights = Weights::open(folder);
  if (!weights.ok()) return weights.error();
  c.weights = std::move(*weights);
  if (Status s = check_weights(c.spec, c.weights, folder); !s.ok()) return s.error();

  auto tokenizer = Tokenizer::load(folder / "tokenizer.json");
  if (!tokenizer.ok()) return tokenizer.error();
  c.tokenizer = std::move(*tokenizer);
  if (c.tokenizer.vocab_size() > static_cast<std::size_t>(c.spec.vocab_size))
    return make_error(ErrorCode::invalid_request,
                      (folder / "tokenizer.json").string() + ": the tokenizer has " + std::to_string(c.tokenizer.vocab_size()) +
                          " tokens, more than the model's vocab_size " + std::to_string(c.spec.vocab_size));

  auto chat_template = load_chat_template(folder);
  if (!chat_template.ok()) return chat_template.error();
  c.chat_template = std::move(*chat_template);
  auto special = load_special_tokens(folder);
  if (!special.ok()) return special.error();
  c.special_tokens = std::move(*special);

  auto processor = load_processor_config(folder);
  if (!processor.ok()) return processor.error();
  c.processor = *processor;
  if (c.processor.image_seq_len == 0) c.processor.image_seq_len = c.spec.image_seq_len;
  return c;
}

}  // namespace sl::engine
