// The in-process engine on a checkpoint folder (a full-size random-weight one from
// tools/reference/make_bench_checkpoint.py), measured the way bench/engine/hf_bench.py measures
// Hugging Face transformers on the same folder, with the same synthetic pictures and prompts:
//   - ttft_image: one 1280x720 picture (uncached) -> first token (chat template, preprocessing,
//     vision encode, tokenize, prefill, argmax);
//   - ttft_video8: 8 video frames (640x360, uncached, 1 s apart) -> first token;
//   - decode: greedy tokens/s continuing the image prompt for --decode-tokens steps (the end of
//     turn is ignored: the loop calls the model directly, as Engine::generate does);
//   - window_cold / window_moved: a "5 s window" of 10 stream frames 0.5 s apart asked cold, then
//     the window moved by one frame (oldest dropped, one new) and asked again: 9 of 10 frames come
//     from the vision cache;
//   - peak RSS (VmHWM) against the weights' size on disk (on a GPU the weights are in device
//     memory, which this does not see).
// Every case ends with logits copied to the host, so GPU timings include the device's work.
// Prints one JSON object per line. Not a test: nothing fails on a figure.
//   build/engine_bench CHECKPOINT_DIR [--threads N] [--precision bf16|f32] [--decode-tokens N]
//                      [--device cpu|cuda|cuda:N] [--vision-batch N] [--decode-pool 0|1]
//                      [--cases image,video8,window,short] (default all but short; decode follows image)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "engine/checkpoint.hpp"
#include "engine/engine.hpp"
#include "engine/sampler.hpp"
#include "engine/torch/load_model.hpp"

namespace json = boost::json;
using namespace sl;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Same formula as hf_bench.py's picture(): integers only, so both sides see identical pixels.
engine::RgbImage picture(int width, int height, int k) {
  engine::RgbImage img(width, height);
  for (int y = 0; y < height; ++y) {
    std::uint8_t* row = img.row(y);
    for (int x = 0; x < width; ++x) {
      row[x * 3 + 0] = static_cast<std::uint8_t>((x + 4 * k) % 256);
      row[x * 3 + 1] = static_cast<std::uint8_t>((y + 2 * k) % 256);
      row[x * 3 + 2] = static_cast<std::uint8_t>(((x ^ y) + 8 * k) % 256);
    }
  }
  return img;
}

long status_kib(const char* field) {  // a line of /proc/self/status, in KiB
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + key.size());
  return -1;
}

void emit(json::object o) { std::printf("%s\n", json::serialize(o).c_str()), std::fflush(stdout); }

[[noreturn]] void fail(const std::string& what, const Error& e) {
  std::fprintf(stderr, "engine_bench: %s: %s\n", what.c_str(), e.message.c_str());
  std::exit(1);
}

json::array user_message(const char* media_type, const char* question) {
  json::array content{json::object{{"type", media_type}}, json::object{{"type", "text"}, {"text", question}}};
  return json::array{json::object{{"role", "user"}, {"content", std::move(content)}}};
}

struct Prefilled {
  double ttft = 0;
  int prompt_tokens = 0;
  int pictures_encoded = 0;
  double preprocess_s = 0, vision_s = 0, prepare_s = 0;
  int first_token = 0;
  std::unique_ptr<engine::Sequence> sequence;
};

// What Engine::generate does up to its first token, timed as one.
Prefilled first_token(const engine::Engine& eng, const engine::GenerationRequest& req) {
  const auto t0 = Clock::now();
  auto prompt = eng.prepare(req);
  if (!prompt.ok()) fail("prepare", prompt.error());
  Prefilled out;
  out.prepare_s = seconds_since(t0);
  out.sequence = eng.model().new_sequence();
  auto logits = eng.model().forward(*out.sequence, prompt->ids, prompt->images);
  if (!logits.ok()) fail("prefill", logits.error());
  out.first_token = engine::argmax(*logits);
  out.ttft = seconds_since(t0);
  out.prompt_tokens = static_cast<int>(prompt->ids.size());
  out.pictures_encoded = prompt->pictures_encoded;
  out.preprocess_s = prompt->preprocess_seconds;
  out.vision_s = prompt->vision_seconds;
  return out;
}

engine::VideoInput window(int first, int frames, double step, bool cached) {
  engine::VideoInput v;
  for (int i = 0; i < frames; ++i) {
    engine::PictureInput p{picture(640, 360, first + i), std::nullopt};
    if (cached) p.frame = engine::FrameRef{"bench", first + i};
    v.frames.push_back(std::move(p));
    v.timestamps.push_back(i * step);
  }
  v.duration = frames * step;
  return v;
}

json::object case_row(const char* name, const Prefilled& p) {
  return {{"engine", "sightline"}, {"case", name},           {"ttft_s", p.ttft},
          {"prompt_tokens", p.prompt_tokens}, {"pictures_encoded", p.pictures_encoded},
          // Where the time went: prepare (template, tokens, pixels, vision) then the prefill.
          {"prepare_s", p.prepare_s}, {"preprocess_s", p.preprocess_s}, {"vision_s", p.vision_s}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s CHECKPOINT_DIR [--threads N] [--precision bf16|f32] [--decode-tokens N] [--device D]\n",
                 argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  engine::ModelOptions mo;
  mo.precision = engine::ModelOptions::Precision::f32;  // bf16 is far slower on libtorch 1.13 here (docs/performance.md)
  mo.threads = 2;
  int decode_tokens = 32;
  std::string cases = "image,video8,window";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads") mo.threads = std::atoi(value.c_str());
    else if (flag == "--precision") mo.precision = value == "f32" ? engine::ModelOptions::Precision::f32 : engine::ModelOptions::Precision::bf16;
    else if (flag == "--decode-tokens") decode_tokens = std::atoi(value.c_str());
    else if (flag == "--device") mo.device = value;
    else if (flag == "--cases") cases = "," + value + ",";
    else if (flag == "--vision-batch") mo.vision_batch = std::atoi(value.c_str());
    else if (flag == "--decode-pool") mo.decode_pool = value != "0";
    else return std::fprintf(stderr, "unknown flag %s\n", flag.c_str()), 2;
  }
  std::uintmax_t weights = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().extension() == ".safetensors") weights += f.file_size();

  const auto t_load = Clock::now();
  const long rss_start = status_kib("VmRSS");
  auto ckpt = engine::load_checkpoint(dir);
  if (!ckpt.ok()) fail("checkpoint", ckpt.error());
  const long rss_checkpoint = status_kib("VmRSS");
  auto shared = std::make_shared<const engine::Checkpoint>(std::move(*ckpt));
  auto model = engine::load_model(shared, mo);
  if (!model.ok()) fail("model", model.error());
  auto created = engine::Engine::create(shared, std::move(*model), engine::EngineOptions{});
  if (!created.ok()) fail("engine", created.error());
  const engine::Engine& eng = **created;
  emit({{"engine", "sightline"}, {"case", "load"}, {"load_s", seconds_since(t_load)},
        {"threads", mo.threads}, {"decode_pool", mo.decode_pool}, {"device", mo.device},
        {"precision", mo.precision == engine::ModelOptions::Precision::bf16 ? "bf16" : "f32"},
        {"weights_bytes", weights}, {"rss_start_kib", rss_start}, {"rss_checkpoint_kib", rss_checkpoint},
        {"rss_kib", status_kib("VmRSS")}});

  {  // warm-up: one small frame, uncached, so lazy library setup is not timed below
    engine::GenerationRequest req;
    req.messages = user_message("video", "Warm up.");
    req.videos.push_back(window(1000, 1, 1.0, false));
    first_token(eng, req);
  }

  auto wanted = [&](const char* name) { return cases.find(name) != std::string::npos; };
  // Greedy decode continuing a prompt, end of turn ignored.
  auto decode = [&](Prefilled& p, const char* name) {
    int token = p.first_token;
    const auto t0 = Clock::now();
    for (int i = 0; i < decode_tokens; ++i) {
      auto logits = eng.model().forward(*p.sequence, std::span<const int>(&token, 1), {});
      if (!logits.ok()) fail("decode", logits.error());
      token = engine::argmax(*logits);
    }
    const double s = seconds_since(t0);
    emit({{"engine", "sightline"}, {"case", name}, {"tokens", decode_tokens}, {"seconds", s},
          {"tokens_per_s", decode_tokens / s}, {"context_start", p.prompt_tokens}});
  };
  if (wanted("short")) {  // profiling aid: one frame (~100 tokens), then decode
    engine::GenerationRequest req;
    req.messages = user_message("video", "What happens in this video?");
    req.videos.push_back(window(100, 1, 1.0, false));
    Prefilled p = first_token(eng, req);
    emit(case_row("ttft_video1", p));
    decode(p, "decode_short");
  }
  Prefilled image;
  if (wanted("image")) {
    engine::GenerationRequest req;
    req.messages = user_message("image", "Describe this picture in detail.");
    // Built in place: moving a braced PictureInput trips GCC 12's -O3 maybe-uninitialized on
    // the variant's other alternative (a false positive that fails -Werror Release builds).
    req.images.emplace_back().picture.emplace<engine::RgbImage>(picture(1280, 720, 0));
    image = first_token(eng, req);
    emit(case_row("ttft_image", image));
    decode(image, "decode");
  }
  image.sequence.reset();
  if (wanted("video8")) {
    engine::GenerationRequest req;
    req.messages = user_message("video", "What happens in this video?");
    req.videos.push_back(window(200, 8, 1.0, false));
    emit(case_row("ttft_video8", first_token(eng, req)));
  }
  if (wanted("window")) {  // the 5 s window at 2 fps, cold, then moved by one frame (0.5 s)
    engine::GenerationRequest cold;
    cold.messages = user_message("video", "Is anyone at the door?");
    cold.videos.push_back(window(400, 10, 0.5, true));
    const Prefilled c = first_token(eng, cold);
    emit(case_row("window_cold", c));
    engine::GenerationRequest moved = cold;
    moved.videos[0] = window(401, 10, 0.5, true);
    const Prefilled m = first_token(eng, moved);
    json::object row = case_row("window_moved", m);
    row["ratio_to_cold"] = m.ttft / c.ttft;
    emit(std::move(row));
  }
  emit({{"engine", "sightline"}, {"case", "memory"}, {"peak_rss_kib", status_kib("VmHWM")},
        {"weights_bytes", weights},
        {"peak_over_weights", static_cast<double>(status_kib("VmHWM")) * 1024.0 / static_cast<double>(weights)}});
  return 0;
}
