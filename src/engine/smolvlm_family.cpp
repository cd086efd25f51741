#include "engine/smolvlm_family.hpp"

#include <boost/json.hpp>

namespace sl::engine {
namespace json = boost::json;

namespace {

Error bad_config(const std::string& what) {
  return make_error(ErrorCode::invalid_request, "config.json: " + what);
}

Status read_int(const json::object& o, std::string_view key, int& out, std::string_view where) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return Status();
  if (!v->is_int64() || v->get_int64() < 0 || v->get_int64() > (1LL << 31))
    return bad_config(std::string(where) + std::string(key) + " must be a non-negative integer");
  out = static_cast<int>(v->get_int64());
  return Status();
}

void read_double(const json::object& o, std::string_view key, double& out) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_number()) out = v->to_number<double>();
}

void read_bool(const json::object& o, std::string_view key, bool& out) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_bool()) out = v->get_bool();
}

void read_string(const json::object& o, std::string_view key, std::string& out) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_string()) out = std::string(v->get_string());
}

Result<SmolVlmConfig> parse(const json::object& config) {
  SmolVlmConfig c;
  const json::value* vision = config.if_contains("vision_config");
  const json::value* text = config.if_contains("text_config");
  if (!vision || !vision->is_object()) return bad_config("vision_config is missing");
  if (!text || !text->is_object()) return bad_config("text_config is missing");
  const json::object& v = vision->get_object();
  const json::object& t = text->get_object();
  for (auto [key, field] : {std::pair{"hidden_size", &c.vision.hidden_size},
                            {"intermediate_size", &c.vision.intermediate_size},
                            {"num_hidden_layers", &c.vision.num_hidden_layers},
                            {"num_attention_heads", &c.vision.num_attention_heads},
                            {"num_channels", &c.vision.num_channels},
                            {"image_size", &c.vision.image_size},
                            {"patch_size", &c.vision.patch_size}})
    if (Status s = read_int(v, key, *field, "vision_config."); !s.ok()) return s.error();
  read_double(v, "layer_norm_eps", c.vision.layer_norm_eps);
  read_string(v, "hidden_act", c.vision.hidden_act);
  for (auto [key, field] : {std::pair{"hidden_size", &c.text.hidden_size},
                            {"intermediate_size", &c.text.intermediate_size},
                            {"num_hidden_layers", &c.text.num_hidden_layers},
                            {"num_attention_heads", &c.text.num_attention_heads},
                            {"num_key_value_heads", &c.text.num_key_value_heads},
                            {"head_dim", &c.text.head_dim},
                            {"vocab_size", &c.text.vocab_size},
                            {"max_position_embeddings", &c.text.max_position_embeddings}})
    if (Status s = read_int(t, key, *field, "text_config."); !s.ok()) return s.error();
  read_double(t, "rms_norm_eps", c.text.rms_norm_eps);
  read_double(t, "rope_theta", c.text.rope_theta);
  if (const json::value* rp = t.if_contains("rope_parameters"); rp && rp->is_object())
    read_double(rp->get_object(), "rope_theta", c.text.rope_theta);  // transformers 5 spelling
  read_bool(t, "attention_bias", c.text.attention_bias);
  read_bool(t, "mlp_bias", c.text.mlp_bias);
  read_string(t, "hidden_act", c.text.hidden_act);
  if (Status s = read_int(config, "scale_factor", c.scale_factor, ""); !s.ok()) return s.error();
  if (Status s = read_int(config, "image_token_id", c.image_token_id, ""); !s.ok()) return s.error();
  read_bool(config, "tie_word_embeddings", c.tie_word_embeddings);

  if (c.text.num_key_value_heads == 0) c.text.num_key_value_heads = c.text.num_attention_heads;
  if (c.text.num_attention_heads == 0 || c.vision.num_attention_heads == 0 || c.vision.patch_size == 0 ||
      c.scale_factor == 0)
    return bad_config("attention heads, patch_size and scale_factor must be positive");
  if (c.text.head_dim == 0) c.text.head_dim = c.text.hidden_size / c.text.num_attention_heads;
  if (c.text.num_attention_heads % c.text.num_key_value_heads != 0)
    return bad_config("text_config.num_attention_heads must be a multiple of num_key_value_heads");
  if (c.vision.hidden_size % c.vision.num_attention_heads != 0)
    return bad_config("vision_config.hidden_size must be a multiple of num_attention_heads");
  if (c.vision.image_size % c.vision.patch_size != 0 ||
      (c.vision.image_size / c.vision.patch_size) % c.scale_factor != 0)
    return bad_config("vision_config.image_size / patch_size must be a multiple of scale_factor");
  if (c.image_token_id >= c.text.vocab_size) return bad_config("image_token_id is outside the vocabulary");
  return c;
}

std::vector<TensorSpec> tensor_table(const SmolVlmConfig& c) {
  using S = std::vector<std::int64_t>;
  const std::int64_t vh = c.vision.hidden_size, vi = c.vision.intermediate_size, p = c.vision.patch_size;
  const std::int64_t th = c.text.hidden_size, ti = c.text.intermediate_size;
  const std::int64_t q = std::int64_t{c.text.num_attention_heads} * c.text.head_dim;
  const std::int64_t kv = std::int64_t{c.text.num_key_value_heads} * c.text.head_dim;
  const std::int64_t side = c.vision.image_size / p;
  std::vector<TensorSpec> t;
  const std::string vm = "model.vision_model.";
  t.push_back({vm + "embeddings.patch_embedding.weight", S{vh, c.vision.num_channels, p, p}});
  t.push_back({vm + "embeddings.patch_embedding.bias", S{vh}});
  t.push_back({vm + "embeddings.position_embedding.weight", S{side * side, vh}});
  for (int i = 0; i < c.vision.num_hidden_layers; ++i) {
    const std::string l = vm + "encoder.layers." + std::to_string(i) + ".";
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      t.push_back({l + "self_attn." + proj + ".weight", S{vh, vh}});
      t.push_back({l + "self_attn." + proj + ".bias", S{vh}});
    }
    for (const char* norm : {"layer_norm1", "layer_norm2"}) {
      t.push_back({l + norm + ".weight", S{vh}});
      t.push_back({l + norm + ".bias", S{vh}});
    }
    t.push_back({l + "mlp.fc1.weight", S{vi, vh}});
    t.push_back({l + "mlp.fc1.bias", S{vi}});
    t.push_back({l + "mlp.fc2.weight", S{vh, vi}});
    t.push_back({l + "mlp.fc2.bias", S{vh}});
  }
  t.push_back({vm + "post_layernorm.weight", S{vh}});
  t.push_back({vm + "post_layernorm.bias", S{vh}});
  const std::int64_t scale2 = std::int64_t{c.scale_factor} * c.scale_factor;
  t.push_back({"model.connector.modality_projection.proj.weight", S{th, vh * scale2}});
  const std::string tm = "model.text_model.";
  t.push_back({tm + "embed_tokens.weight", S{c.text.vocab_size, th}});
  for (int i = 0; i < c.text.num_hidden_layers; ++i) {
    const std::string l = tm + "layers." + std::to_string(i) + ".";
    t.push_back({l + "self_attn.q_proj.weight", S{q, th}});
    t.push_back({l + "self_attn.k_proj.weight", S{kv, th}});
    t.push_back({l + "self_attn.v_proj.weight", S{kv, th}});
    t.push_back({l + "self_attn.o_proj.weight", S{th, q}});
    if (c.text.attention_bias) {
      t.push_back({l + "self_attn.q_proj.bias", S{q}});
      t.push_back({l + "self_attn.k_proj.bias", S{kv}});
      t.push_back({l + "self_attn.v_proj.bias", S{kv}});
      t.push_back({l + "self_attn.o_proj.bias", S{th}});
    }
    t.push_back({l + "mlp.gate_proj.weight", S{ti, th}});
    t.push_back({l + "mlp.up_proj.weight", S{ti, th}});
    t.push_back({l + "mlp.down_proj.weight", S{th, ti}});
    if (c.text.mlp_bias) {
      t.push_back({l + "mlp.gate_proj.bias", S{ti}});
      t.push_back({l + "mlp.up_proj.bias", S{ti}});
      t.push_back({l + "mlp.down_proj.bias", S{th}});
    }
    t.push_back({l + "input_layernorm.weight", S{th}});
    t.push_back({l + "post_attention_layernorm.weight", S{th}});
  }
  t.push_back({tm + "norm.weight", S{th}});
  t.push_back({"lm_head.weight", S{c.text.vocab_size, th}, c.tie_word_embeddings});
  return t;
}

class SmolVlmFamily final : public ModelFamily {
 public:
  std::string_view name() const override { return "smolvlm"; }
  std::span<const std::string_view> architectures() const override {
    static constexpr std::string_view names[] = {"SmolVLMForConditionalGeneration",
                                                 "Idefics3ForConditionalGeneration"};
    return names;
  }
  Result<ModelSpec> describe(const json::object& config) const override {
    auto c = parse(config);
    if (!c.ok()) return c.error();
    ModelSpec spec;
    spec.family = std::string(name());
    spec.tensors = tensor_table(*c);
    const int side = c->vision.image_size / c->vision.patch_size;
    spec.image_seq_len = side * side / (c->scale_factor * c->scale_factor);
    spec.vocab_size = c->text.vocab_size;
    spec.hparams = std::move(*c);
    return spec;
  }
};

}  // namespace

const ModelFamily& smolvlm_family() {
  static const SmolVlmFamily family;
  return family;
}

}  // namespace sl::engine
