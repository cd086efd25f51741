// The in-process engine's API for serving: one Engine per loaded model (the checkpoint, its
// forward pass and the vision cache: long-lived, shared, immutable apart from the cache), and
// generate() per request. Everything a request needs while it runs (its KV cache, sampler,
// streaming decoder, generated tokens) lives in a state object local to that call, never in the
// Engine, so requests cannot leak into each other (llama.cpp's server_slot trap).
//
// A request holds chat messages in the checkpoint template's shape (content parts
// {"type": "text", "text": ...}, {"type": "image"}, {"type": "video"}), the decoded pictures
// for the image parts and the frames (with timestamps) for the video parts, in order. Pictures
// that name a stream frame are encoded once and then served from the vision cache.
//
// Threading: generate() may run on many threads at once; it blocks (run it off network threads)
// and checks `cancel` before every forward step. on_text is called on the calling thread with
// each new piece of text (never splitting a UTF-8 character, never showing a stop string).
// Errors: invalid_request (messages the template refuses, parts and pictures that do not match,
// a prompt past the context length, bad sampling values), internal (forward pass failures).
#pragma once

#include <boost/json/array.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/media_types.hpp"
#include "core/status.hpp"
#include "engine/checkpoint.hpp"
#include "engine/chat_template.hpp"
#include "engine/rgb_image.hpp"
#include "engine/sampler.hpp"
#include "engine/vision_cache.hpp"
#include "engine/vlm_model.hpp"

namespace sl::engine {

struct FrameRef {  // a frame of a stream: the vision cache's key
  std::string stream;
  std::int64_t index = 0;
};

struct PictureInput {
  // A decoded stream picture (converted as libjpeg would, rgb_image.hpp) or RGB pixels (e.g.
  // an uploaded image the caller decoded).
  std::variant<VideoImage, RgbImage> picture;
  std::optional<FrameRef> frame;  // none: not cached
};

struct VideoInput {
  std::vector<PictureInput> frames;
  std::vector<double> timestamps;  // seconds from the clip start, one per frame
  double duration = 0;             // seconds
};

struct GenerationParams {
  SamplingParams sampling;
  int max_tokens = 256;
  std::vector<std::string> stop;  // stop strings (not included in the text)
};

struct GenerationRequest {
  boost::json::array messages;
  std::vector<PictureInput> images;  // one per image part, in order
  std::vector<VideoInput> videos;    // one per video part, in order
  GenerationParams params;
};

enum class FinishReason { stop, length, cancelled };

struct GenerationResult {
  std::string text;
  std::vector<int> tokens;  // generated ids, the end-of-turn token included when it ended the answer
  FinishReason finish_reason = FinishReason::stop;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int pictures_encoded = 0;  // vision encodes this request ran (cache misses and uncached pictures)
};

struct GenerationCallbacks {
  std::function<void(std::string_view text)> on_text;
};

struct EngineOptions {
  std::size_t vision_cache_bytes = std::size_t{256} << 20;  // engine.vision_cache_bytes
};

// What a request's prompt became: the text after the chat template and media expansion, its
// token ids and the vision encodings for its image tokens, in order.
struct PreparedPrompt {
  std::string text;
  std::vector<int> ids;
  std::vector<VisionEncodingPtr> images;
  int pictures_encoded = 0;
  // Where the encodes' time went (bench/engine reports them): pixels (conversion, resizing,
  // tiling, normalisation) and the vision encoder itself, in seconds.
  double preprocess_seconds = 0;
  double vision_seconds = 0;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(std::shared_ptr<const Checkpoint> checkpoint,
                                                std::shared_ptr<const VlmModel> model, const EngineOptions& options);

  Result<GenerationResult> generate(const GenerationRequest& request, const GenerationCallbacks& callbacks,
                                    std::stop_token cancel = {}) const;
  Result<PreparedPrompt> prepare(const GenerationRequest& request) const;

  const Checkpoint& checkpoint() const { return *checkpoint_; }
  const VlmModel& model() const { return *model_; }
  VisionCache::Stats cache_stats() const { return cache_->stats(); }

 private:
  Engine(std::shared_ptr<const Checkpoint> checkpoint, std::shared_ptr<const VlmModel> model, ChatTemplate chat,
         const EngineOptions& options);
  Result<VisionEncodingPtr> encode_picture(const PictureInput& input, bool video_frame, PreparedPrompt& out) const;

  std::shared_ptr<const Checkpoint> checkpoint_;
  std::shared_ptr<const VlmModel> model_;
  ChatTemplate chat_;
  std::uint64_t preprocessing_hash_ = 0;
  std::vector<int> end_ids_;  // ids that end the answer (eos)
  std::unique_ptr<VisionCache> cache_;
};

}  // namespace sl::engine
