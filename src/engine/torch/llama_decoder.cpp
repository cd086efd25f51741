#include "engine/torch/llama_decoder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace sl::engine::torch_impl {

namespace {

constexpr int64_t kQueryChunk = 256;  // query rows per attention chunk in a prefill

at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

LlamaDecoder::LlamaDecoder(const TensorLoader& loader, const std::string& prefix, const std::string& lm_head,
                           const LlamaConfig& config, RowPool* pool)
    : config_(config), pool_(pool) {
  if (config.hidden_act != "silu") throw std::runtime_error("text hidden_act " + config.hidden_act + " is not supported");
  embed_tokens_ = loader.matrix(prefix + "embed_tokens.weight");
  norm_ = loader.get(prefix + "norm.weight");
  lm_head_ = !config.tie_word_embeddings && loader.has(lm_head) ? loader.matrix(lm_head) : embed_tokens_;
  // transformers' default rotary init: 1 / theta^(arange(0, dim, 2) / dim), in float32.
  const at::Tensor exponent = at::arange(0, config.head_dim, 2, at::kLong).to(at::kFloat) / config.head_dim;
  inv_freq_ = (1.0 / at::pow(config.rope_theta, exponent)).to(loader.device());
  for (int i = 0; i < config.num_layers; ++i) {
    const std::string l = prefix + "layers." + std::to_string(i) + ".";
    const std::string a = l + "self_attn.", m = l + "mlp.";
    Layer layer;
    layer.in_norm = loader.get(l + "input_layernorm.weight");
    layer.post_norm = loader.get(l + "post_attention_layernorm.weight");
    auto names = [](const std::string& base, std::initializer_list<const char*> parts, const char* suffix) {
      std::vector<std::string> out;
      for (const char* p : parts) out.push_back(base + p + suffix);
      return out;
    };
    layer.qkv = FusedLinear(loader, names(a, {"q_proj", "k_proj", "v_proj"}, ".weight"),
                            config.attention_bias ? names(a, {"q_proj", "k_proj", "v_proj"}, ".bias")
                                                  : std::vector<std::string>{});
    layer.o_w = loader.matrix(a + "o_proj.weight");
    if (config.attention_bias) layer.o_b = loader.get(a + "o_proj.bias");
    layer.gate_up = FusedLinear(loader, names(m, {"gate_proj", "up_proj"}, ".weight"),
                                config.mlp_bias ? names(m, {"gate_proj", "up_proj"}, ".bias") : std::vector<std::string>{});
    layer.down_w = loader.matrix(m + "down_proj.weight");
    if (config.mlp_bias) layer.down_b = loader.get(m + "down_proj.bias");
    layers_.push_back(std::move(layer));
  }
}

// A kept bf16 table is gathered first, then converted (exact): only the rows used.
at::Tensor LlamaDecoder::embed(const at::Tensor& ids) const {
  return at::embedding(embed_tokens_, ids).to(norm_.scalar_type());
}

at::Tensor LlamaDecoder::rms_norm(const at::Tensor& x, const at::Tensor& w) const {
  const at::Tensor h = x.to(at::kFloat);
  const at::Tensor variance = h.pow(2).mean({-1}, /*keepdim=*/true);
  return w * (h * at::rsqrt(variance + config_.rms_norm_eps)).to(x.scalar_type());
}

void LlamaDecoder::reserve(KvCache& cache, int needed, const at::Tensor& like) const {
  if (needed <= cache.capacity_) return;
  // Grows by a quarter (at least 128 tokens): doubling would hold up to twice the cache a
  // request needs, and the copy each growth costs is small next to the steps between them.
  const int capacity =
      std::min(std::max({needed, cache.capacity_ + cache.capacity_ / 4, cache.length_ + 128}), std::max(needed, config_.max_positions));
  const auto options = like.options();
  for (int i = 0; i < config_.num_layers; ++i) {
    at::Tensor k = at::empty({config_.num_kv_heads, capacity, config_.head_dim}, options);
    at::Tensor v = at::empty_like(k);
    if (cache.length_ > 0) {
      k.narrow(1, 0, cache.length_).copy_(cache.k_[static_cast<std::size_t>(i)].narrow(1, 0, cache.length_));
      v.narrow(1, 0, cache.length_).copy_(cache.v_[static_cast<std::size_t>(i)].narrow(1, 0, cache.length_));
    }
    if (cache.k_.size() <= static_cast<std::size_t>(i)) {
      cache.k_.push_back(k);
      cache.v_.push_back(v);
    } else {
      cache.k_[static_cast<std::size_t>(i)] = k;
      cache.v_[static_cast<std::size_t>(i)] = v;
    }
  }
  cache.capacity_ = capacity;
}

at::Tensor LlamaDecoder::forward(KvCache& cache, const at::Tensor& embeddings) const {
  const int64_t t = embeddings.size(0);
  const int64_t past = cache.length_;
  const int64_t heads = config_.num_heads, kv_heads = config_.num_kv_heads, d = config_.head_dim;
  const int64_t q_size = heads * d;
  reserve(cache, static_cast<int>(past + t), embeddings);
  const int64_t total = past + t;

  // Rotary tables for positions past .. total-1.
  const at::Tensor positions = at::arange(past, total, inv_freq_.options());
  const at::Tensor freqs = at::outer(positions, inv_freq_);
  const at::Tensor emb = at::cat({freqs, freqs}, -1);
  const at::Tensor cos = emb.cos().to(embeddings.scalar_type());
  const at::Tensor sin = emb.sin().to(embeddings.scalar_type());
  // Causal mask over the cached and new positions (only needed when several tokens come in).
  at::Tensor mask;
  if (t > 1) {
    const auto opts = at::TensorOptions().dtype(at::kFloat).device(embeddings.device());
    const at::Tensor rows = at::arange(past, total, opts.dtype(at::kLong)).unsqueeze(1);
    const at::Tensor cols = at::arange(0, total, opts.dtype(at::kLong)).unsqueeze(0);
    mask = at::zeros({t, total}, opts).masked_fill(cols > rows, -std::numeric_limits<float>::infinity());
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const int64_t groups = heads / kv_heads;

  at::Tensor x = embeddings.clone();  // the residual stream, updated in place
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    at::Tensor h = rms_norm(x, l.in_norm);
    const std::vector<at::Tensor> qkv = l.qkv(h, pool_);
    at::Tensor q = qkv[0].reshape({t, heads, d}).transpose(0, 1);
    at::Tensor k = qkv[1].reshape({t, kv_heads, d}).transpose(0, 1);
    const at::Tensor v = qkv[2].reshape({t, kv_heads, d}).transpose(0, 1);
    q = q * cos + rotate_half(q) * sin;
    k = k * cos + rotate_half(k) * sin;
    cache.k_[i].narrow(1, past, t).copy_(k);
    cache.v_[i].narrow(1, past, t).copy_(v);
    const at::Tensor keys = cache.k_[i].narrow(1, 0, total);
    const at::Tensor values = cache.v_[i].narrow(1, 0, total);
    // Grouped-query attention without repeating the cache: the query heads of one kv head are
    // stacked as rows ([kv_heads, groups, t, d]). Query rows go in chunks so that a long
    // prompt's scores (kv_heads x groups x rows x total floats) are never all held at once;
    // in f32 they are scaled, masked and softmaxed in place (the same arithmetic).
    const at::Tensor qg = q.reshape({kv_heads, groups, t, d});
    at::Tensor attn = t == 1 ? at::Tensor() : at::empty({kv_heads, groups, t, d}, x.options());
    for (int64_t r0 = 0; r0 < t; r0 += kQueryChunk) {
      const int64_t n = std::min(kQueryChunk, t - r0);
      const at::Tensor qc = (t == 1 ? qg : qg.narrow(2, r0, n)).reshape({kv_heads, groups * n, d});
      at::Tensor scores = at::matmul(qc, keys.transpose(1, 2));  // [kv_heads, groups*n, total]
      if (scores.scalar_type() == at::kFloat) {
        scores.mul_(scale);
        if (mask.defined()) scores.view({kv_heads, groups, n, total}).add_(mask.narrow(0, r0, n));
        at::_softmax_out(scores, scores, -1, false);
      } else {
        scores = scores * scale;
        if (mask.defined())
          scores = (scores.view({kv_heads, groups, n, total}) + mask.narrow(0, r0, n)).view({kv_heads, groups * n, total});
        scores = at::softmax(scores, -1, at::kFloat).to(x.scalar_type());
      }
      const at::Tensor out = at::matmul(scores, values).view({kv_heads, groups, n, d});
      if (t == 1) attn = out;
      else attn.narrow(2, r0, n).copy_(out);
    }
    h = attn.view({heads, t, d}).transpose(0, 1).reshape({t, q_size});
    x.add_(dense(h, l.o_w, l.o_b, pool_));
    h = rms_norm(x, l.post_norm);
    const std::vector<at::Tensor> gate_up = l.gate_up(h, pool_);
    at::Tensor gate = gate_up[0];
    x.add_(dense(at::silu_(gate).mul_(gate_up[1]), l.down_w, l.down_b, pool_));
  }
  cache.length_ = static_cast<int>(total);
  const at::Tensor last = rms_norm(x.narrow(0, t - 1, 1), norm_);
  return dense(last, lm_head_, {}, pool_).squeeze(0).to(at::kFloat);
}

}  // namespace sl::engine::torch_impl
