#include "engine/safetensors.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <limits>

#include "engine/json_file.hpp"

namespace sl::engine {
namespace json = boost::json;

namespace {

Error corrupt(const std::filesystem::path& path, const std::string& what) {
  return make_error(ErrorCode::invalid_request, path.string() + ": corrupt safetensors file: " + what);
}

}  // namespace

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped.ok()) return mapped.error();
  SafetensorsFile f;
  f.file_ = std::move(*mapped);
  const std::span<const std::byte> all = f.file_.bytes();
  if (all.size() < 8) return corrupt(path, "shorter than its 8-byte header length");
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<std::uint8_t>(all[static_cast<std::size_t>(i)]);
  if (header_len > all.size() - 8) return corrupt(path, "header length runs past the end of the file");
  const std::string_view header(reinterpret_cast<const char*>(all.data()) + 8, static_cast<std::size_t>(header_len));
  boost::system::error_code ec;
  json::value root = json::parse(header, ec);
  if (ec || !root.is_object()) return corrupt(path, "header is not a JSON object");
  const std::span<const std::byte> data = all.subspan(8 + static_cast<std::size_t>(header_len));

  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& kv : root.get_object()) {
    const std::string name(kv.key());
    if (name == "__metadata__") {
      if (kv.value().is_object())
        for (const auto& m : kv.value().get_object())
          if (m.value().is_string()) f.metadata_[std::string(m.key())] = std::string(m.value().get_string());
      continue;
    }
    const json::object* t = kv.value().if_object();
    const json::value* dtype = t ? t->if_contains("dtype") : nullptr;
    const json::value* shape = t ? t->if_contains("shape") : nullptr;
    const json::value* offsets = t ? t->if_contains("data_offsets") : nullptr;
    if (!dtype || !dtype->is_string() || !shape || !shape->is_array() || !offsets || !offsets->is_array() ||
        offsets->get_array().size() != 2)
      return corrupt(path, "tensor '" + name + "' lacks dtype, shape or data_offsets");
    TensorView view;
    view.name = name;
    auto dt = parse_dtype(dtype->get_string());
    if (!dt) return corrupt(path, "tensor '" + name + "' has unknown dtype " + std::string(dtype->get_string()));
    view.dtype = *dt;
    std::uint64_t numel = 1;
    for (const json::value& d : shape->get_array()) {
      if (!d.is_int64() || d.get_int64() < 0) return corrupt(path, "tensor '" + name + "' has a bad shape");
      const auto dim = static_cast<std::uint64_t>(d.get_int64());
      if (dim != 0 && numel > std::numeric_limits<std::uint64_t>::max() / 16 / dim)
        return corrupt(path, "tensor '" + name + "' shape overflows");
      numel *= dim;
      view.shape.push_back(d.get_int64());
    }
    const json::value& b = offsets->get_array()[0];
    const json::value& e = offsets->get_array()[1];
    if (!b.is_int64() || !e.is_int64() || b.get_int64() < 0 || e.get_int64() < b.get_int64())
      return corrupt(path, "tensor '" + name + "' has bad data_offsets");
    const auto begin = static_cast<std::uint64_t>(b.get_int64());
    const auto end = static_cast<std::uint64_t>(e.get_int64());
    if (end > data.size())
      return corrupt(path, "tensor '" + name + "' data runs past the end of the file (truncated?)");
    if (end - begin != numel * dtype_size(view.dtype))
      return corrupt(path, "tensor '" + name + "' byte length does not match its shape and dtype");
    view.bytes = data.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
    ranges.emplace_back(begin, end);
    f.tensors_.emplace(name, std::move(view));
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) return corrupt(path, "two tensors overlap");
  return f;
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Result<Weights> Weights::open(const std::filesystem::path& folder) {
  Weights w;
  const std::filesystem::path index_path = folder / "model.safetensors.index.json";
  std::error_code fs_error;
  if (!std::filesystem::exists(index_path, fs_error)) {
    auto file = SafetensorsFile::open(folder / "model.safetensors");
    if (!file.ok()) return file.error();
    w.files_.push_back(std::make_unique<SafetensorsFile>(std::move(*file)));
    for (const auto& [name, view] : w.files_.back()->tensors()) w.index_[name] = &view;
    return w;
  }
  auto index = read_json_file(index_path);
  if (!index.ok()) return index.error();
  const json::value* map = index->is_object() ? index->get_object().if_contains("weight_map") : nullptr;
  if (!map || !map->is_object())
    return make_error(ErrorCode::invalid_request, index_path.string() + ": no weight_map object");
  std::map<std::string, std::size_t> opened;
  for (const auto& kv : map->get_object()) {
    if (!kv.value().is_string())
      return make_error(ErrorCode::invalid_request, index_path.string() + ": weight_map values must be file names");
    const std::string shard(kv.value().get_string());
    if (shard.find('/') != std::string::npos || shard == ".." || shard.empty())
      return make_error(ErrorCode::invalid_request, index_path.string() + ": shard name '" + shard + "' is not a plain file name");
    auto it = opened.find(shard);
    if (it == opened.end()) {
      auto file = SafetensorsFile::open(folder / shard);
      if (!file.ok()) return file.error();
      w.files_.push_back(std::make_unique<SafetensorsFile>(std::move(*file)));
      it = opened.emplace(shard, w.files_.size() - 1).first;
    }
    const std::string name(kv.key());
    const TensorView* view = w.files_[it->second]->find(name);
    if (!view)
      return make_error(ErrorCode::invalid_request,
                        (folder / shard).string() + ": tensor '" + name + "' listed in the index is missing");
    w.index_[name] = view;
  }
  return w;
}

const TensorView* Weights::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

std::vector<std::string> Weights::names() const {
  std::vector<std::string> out;
  for (const auto& kv : index_) out.push_back(kv.first);
  return out;
}

}  // namespace sl::engine
