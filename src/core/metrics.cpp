#include "core/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace sl {
namespace {

constexpr size_t kBucketCount = kMetricBuckets.size();

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') { out += "\\n"; continue; }
    out.push_back(c);
  }
  return out;
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const char* type_name(Metrics::Type t) {
  switch (t) {
    case Metrics::Type::counter: return "counter";
    case Metrics::Type::gauge: return "gauge";
    case Metrics::Type::histogram: return "histogram";
  }
  return "untyped";
}

std::string with_extra(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

class CollectingWriter final : public MetricsWriter {
 public:
  std::map<std::string, std::map<std::string, double>> samples;
  std::string (*render)(const Labels&);
  void sample(const std::string& name, const Labels& labels, double value) override {
    samples[name][render(labels)] = value;
  }
};

}  // namespace

std::string Metrics::render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out.push_back(',');
    out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  out.push_back('}');
  return out;
}

void Metrics::describe(const std::string& name, Type type, const std::string& help) {
  std::lock_guard lk(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
}

void HistogramCell::observe(double v) {
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (v <= kMetricBuckets[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

HistogramCell::Snapshot HistogramCell::snapshot() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  // +Inf holds everything; never less than the last finite bucket even mid-update.
  s.count = std::max(running, count_.load(std::memory_order_relaxed));
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

MetricCell& Metrics::value_cell(const std::string& name, const Labels& labels, bool gauge) {
  std::lock_guard lk(mu_);
  auto& f = families_[name];
  if (gauge) f.type = Type::gauge;
  auto& cell = f.values[render_labels(labels)];
  if (!cell) cell = std::make_unique<MetricCell>();
  return *cell;
}

MetricCell& Metrics::counter(const std::string& name, const Labels& labels) {
  return value_cell(name, labels, false);
}

MetricCell& Metrics::gauge(const std::string& name, const Labels& labels) {
  return value_cell(name, labels, true);
}

HistogramCell& Metrics::histogram(const std::string& name, const Labels& labels) {
  std::lock_guard lk(mu_);
  auto& f = families_[name];
  f.type = Type::histogram;
  auto& cell = f.histograms[render_labels(labels)];
  if (!cell) cell = std::make_unique<HistogramCell>();
  return *cell;
}

void Metrics::counter_add(const std::string& name, const Labels& labels, double v) {
  counter(name, labels).add(v);
}

void Metrics::gauge_set(const std::string& name, const Labels& labels, double v) {
  gauge(name, labels).set(v);
}

void Metrics::observe(const std::string& name, const Labels& labels, double v) {
  histogram(name, labels).observe(v);
}

void Metrics::add_collector(std::function<void(MetricsWriter&)> collector) {
  std::lock_guard lk(mu_);
  collectors_.push_back(std::move(collector));
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lk(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto v = it->second.values.find(render_labels(labels));
  return v == it->second.values.end() ? 0 : v->second->value();
}

std::string Metrics::render() const {
  std::vector<std::function<void(MetricsWriter&)>> collectors;
  {
    std::lock_guard lk(mu_);
    collectors = collectors_;
  }
  CollectingWriter pulled;
  pulled.render = &Metrics::render_labels;
  for (auto& c : collectors) c(pulled);

  std::ostringstream out;
  std::lock_guard lk(mu_);
  for (const auto& [name, fam] : families_) {
    if (!fam.help.empty()) out << "# HELP " << name << ' ' << fam.help << '\n';
    out << "# TYPE " << name << ' ' << type_name(fam.type) << '\n';
    for (const auto& [labels, v] : fam.values)
      out << name << labels << ' ' << fmt(v->value()) << '\n';
    if (auto p = pulled.samples.find(name); p != pulled.samples.end())
      for (const auto& [labels, v] : p->second) out << name << labels << ' ' << fmt(v) << '\n';
    for (const auto& [labels, cell] : fam.histograms) {
      const HistogramCell::Snapshot h = cell->snapshot();
      for (size_t i = 0; i < kBucketCount; ++i)
        out << name << "_bucket" << with_extra(labels, "le=\"" + fmt(kMetricBuckets[i]) + "\"")
            << ' ' << h.cumulative[i] << '\n';
      out << name << "_bucket" << with_extra(labels, "le=\"+Inf\"") << ' ' << h.count << '\n';
      out << name << "_sum" << labels << ' ' << fmt(h.sum) << '\n';
      out << name << "_count" << labels << ' ' << h.count << '\n';
    }
  }
  return out.str();
}

}  // namespace sl
