#include "engine/engine.hpp"

#include <algorithm>
#include <chrono>

#include "engine/idefics3_processor.hpp"
#include "engine/rgb_image.hpp"
#include "engine/video_sampling.hpp"

namespace sl::engine {

namespace {

// Holds back the end of the text that could still become a stop string, and cuts at the first
// stop string found. Per request.
class StopMatcher {
 public:
  explicit StopMatcher(const std::vector<std::string>& stops) : stops_(stops) {}
  // The text so far; returns how much of it may be shown, and whether a stop string ended it.
  std::pair<std::size_t, bool> visible(const std::string& text) const {
    std::size_t cut = std::string::npos;
    for (const std::string& s : stops_)
      if (!s.empty()) cut = std::min(cut, text.find(s));
    if (cut != std::string::npos) return {cut, true};
    std::size_t hold = 0;
    for (const std::string& s : stops_)
      for (std::size_t n = std::min(s.size() - 1, text.size()); n > hold; --n)
        if (text.compare(text.size() - n, n, s, 0, n) == 0) {
          hold = n;
          break;
        }
    return {text.size() - hold, false};
  }

 private:
  const std::vector<std::string>& stops_;
};

}  // namespace

Engine::Engine(std::shared_ptr<const Checkpoint> checkpoint, std::shared_ptr<const VlmModel> model, ChatTemplate chat,
               const EngineOptions& options)
    : checkpoint_(std::move(checkpoint)),
      model_(std::move(model)),
      chat_(std::move(chat)),
      preprocessing_hash_(preprocessing_hash(checkpoint_->processor)),
      cache_(std::make_unique<VisionCache>(options.vision_cache_bytes)) {
  if (auto eos = checkpoint_->special_tokens.find("eos_token"); eos != checkpoint_->special_tokens.end())
    if (auto id = checkpoint_->tokenizer.token_to_id(eos->second)) end_ids_.push_back(*id);
}

Result<std::unique_ptr<Engine>> Engine::create(std::shared_ptr<const Checkpoint> checkpoint,
                                               std::shared_ptr<const VlmModel> model, const EngineOptions& options) {
  if (!checkpoint || !model) return make_error(ErrorCode::invalid_request, "engine: no checkpoint or model");
  auto chat = ChatTemplate::parse(checkpoint->chat_template);
  if (!chat.ok()) return chat.error();
  return std::unique_ptr<Engine>(new Engine(std::move(checkpoint), std::move(model), std::move(*chat), options));
}

Result<VisionEncodingPtr> Engine::encode_picture(const PictureInput& input, bool video_frame,
                                                 PreparedPrompt& out) const {
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  auto run = [&]() -> Result<VisionEncodingPtr> {
    const auto t0 = Clock::now();
    RgbImage converted;
    const RgbImage* rgb = std::get_if<RgbImage>(&input.picture);
    if (!rgb) {
      auto r = rgb_from_video_image(std::get<VideoImage>(input.picture));
      if (!r.ok()) return r.error();
      converted = std::move(*r);
      rgb = &converted;
    }
    auto pixels = video_frame ? preprocess_video_frame(*rgb, checkpoint_->processor)
                              : preprocess_image(*rgb, checkpoint_->processor.image);
    if (!pixels.ok()) return pixels.error();
    ++out.pictures_encoded;
    const auto t1 = Clock::now();
    auto encoding = model_->encode(*pixels);
    out.preprocess_seconds += seconds(t0, t1);
    out.vision_seconds += seconds(t1, Clock::now());
    return encoding;
  };
  if (!input.frame) return run();
  // Images and video frames of the same picture are preprocessed differently: key them apart.
  const VisionCacheKey key{input.frame->stream, input.frame->index, preprocessing_hash_ ^ (video_frame ? 1u : 0u)};
  return cache_->get_or_encode(key, run);
}

Result<PreparedPrompt> Engine::prepare(const GenerationRequest& request) const {
  auto rendered = chat_.render(request.messages, /*add_generation_prompt=*/true, nullptr, checkpoint_->special_tokens);
  if (!rendered.ok()) return rendered.error();
  const int seq_len = checkpoint_->processor.image_seq_len > 0 ? checkpoint_->processor.image_seq_len
                                                               : model_->info().image_seq_len;
  PreparedPrompt out;
  std::size_t next_image = 0, next_video = 0, pos = 0;
  const std::string& text = *rendered;
  static constexpr std::string_view kImage = "<image>", kVideo = "<video>";
  while (pos < text.size()) {
    const std::size_t image_at = text.find(kImage, pos), video_at = text.find(kVideo, pos);
    const std::size_t at = std::min(image_at, video_at);
    out.text.append(text, pos, at == std::string::npos ? std::string::npos : at - pos);
    if (at == std::string::npos) break;
    if (at == image_at) {
      if (next_image >= request.images.size())
        return make_error(ErrorCode::invalid_request, "engine: more image parts than pictures");
      const PictureInput& input = request.images[next_image++];
      auto encoding = encode_picture(input, false, out);
      if (!encoding.ok()) return encoding.error();
      // The grid follows from the picture's size alone, so a cached encoding needs no pixels.
      const auto [width, height] = std::visit([](const auto& p) { return std::pair{p.width, p.height}; }, input.picture);
      const TileGrid grid = tile_grid(width, height, checkpoint_->processor.image);
      out.text += image_prompt(grid.rows, grid.cols, seq_len);
      out.images.push_back(std::move(*encoding));
      pos = at + kImage.size();
    } else {
      if (next_video >= request.videos.size())
        return make_error(ErrorCode::invalid_request, "engine: more video parts than videos");
      const VideoInput& video = request.videos[next_video++];
      if (video.frames.empty() || video.frames.size() != video.timestamps.size())
        return make_error(ErrorCode::invalid_request, "engine: a video needs frames, one timestamp each");
      for (const PictureInput& frame : video.frames) {
        auto encoding = encode_picture(frame, true, out);
        if (!encoding.ok()) return encoding.error();
        out.images.push_back(std::move(*encoding));
      }
      out.text += video_prompt(video.timestamps, video.duration, seq_len);
      pos = at + kVideo.size();
    }
  }
  if (next_image != request.images.size() || next_video != request.videos.size())
    return make_error(ErrorCode::invalid_request, "engine: pictures or videos without a matching message part");
  out.ids = checkpoint_->tokenizer.encode(out.text, /*add_special_tokens=*/true);
  return out;
}

Result<GenerationResult> Engine::generate(const GenerationRequest& request, const GenerationCallbacks& callbacks,
                                          std::stop_token cancel) const {
  if (Status s = request.params.sampling.validate(); !s.ok()) return s.error();
  if (request.params.max_tokens < 1)
    return make_error(ErrorCode::invalid_request, "max_tokens must be >= 1", "max_tokens");
  auto prompt = prepare(request);
  if (!prompt.ok()) return prompt.error();

  // The request's own state.
  GenerationResult result;
  result.prompt_tokens = static_cast<int>(prompt->ids.size());
  result.pictures_encoded = prompt->pictures_encoded;
  if (result.prompt_tokens >= model_->info().context_length)
    return make_error(ErrorCode::invalid_request, "engine: the prompt (" + std::to_string(result.prompt_tokens) +
                                                      " tokens) does not fit the context of " +
                                                      std::to_string(model_->info().context_length));
  std::unique_ptr<Sequence> sequence = model_->new_sequence();
  Sampler sampler(request.params.sampling);
  DecodeStream decoder(/*skip_special_tokens=*/true);
  const StopMatcher stops(request.params.stop);
  std::size_t shown = 0;
  std::string full;

  auto show = [&](std::size_t upto) {
    if (upto > shown && callbacks.on_text) callbacks.on_text(std::string_view(full).substr(shown, upto - shown));
    shown = std::max(shown, upto);
  };

  if (cancel.stop_requested()) {
    result.finish_reason = FinishReason::cancelled;
    return result;
  }
  auto logits = model_->forward(*sequence, prompt->ids, prompt->images);
  for (;;) {
    if (!logits.ok()) return logits.error();
    const int token = sampler.pick(*logits);
    result.tokens.push_back(token);
    ++result.completion_tokens;
    if (std::find(end_ids_.begin(), end_ids_.end(), token) != end_ids_.end()) {
      result.finish_reason = FinishReason::stop;
      break;
    }
    if (auto piece = decoder.step(checkpoint_->tokenizer, token)) full += *piece;
    auto [visible, stopped] = stops.visible(full);
    if (stopped) {
      full.resize(visible);
      result.finish_reason = FinishReason::stop;
      break;
    }
    show(visible);
    if (result.completion_tokens >= request.params.max_tokens ||
        sequence->length() + 1 >= model_->info().context_length) {
      result.finish_reason = FinishReason::length;
      break;
    }
    if (cancel.stop_requested()) {
      result.finish_reason = FinishReason::cancelled;
      break;
    }
    logits = model_->forward(*sequence, std::span<const int>(&token, 1), {});
  }
  show(full.size());  // the rest: after a stop string nothing, else what was held back for one
  result.text = std::move(full);
  return result;
}

}  // namespace sl::engine
