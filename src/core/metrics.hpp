// Prometheus metrics. One Metrics object is created by the app and handed to the modules that
// report. Three ways to report:
// - cells (counter() / histogram()): a series is registered once and returns a cell that is
//   updated with atomics, no lock and no string work; for hot paths (every HTTP request);
// - push by name (counter_add / gauge_set / observe): looks the series up under the registry
//   lock; for rare events;
// - pull (a collector callback run at scrape time, for state that already lives elsewhere, such
//   as per-stream frame counters).
// Thread-safe. Cells live as long as the Metrics object (a series is never removed).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sl {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Receives samples from collectors at scrape time.
class MetricsWriter {
 public:
  virtual ~MetricsWriter() = default;
  virtual void sample(const std::string& name, const Labels& labels, double value) = 0;
};

// Latency buckets in seconds (1 ms .. 60 s).
inline constexpr std::array<double, 15> kMetricBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0};

// One counter or gauge series.
class MetricCell {
 public:
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// One histogram series; bucket counts are per bucket (made cumulative when rendered).
class HistogramCell {
 public:
  void observe(double v);
  struct Snapshot {
    std::array<uint64_t, kMetricBuckets.size()> cumulative{};
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kMetricBuckets.size()> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class Metrics {
 public:
  enum class Type { counter, gauge, histogram };

  // The cell of a series, registered on first use; the same cell for the same name and labels.
  MetricCell& counter(const std::string& name, const Labels& labels);
  MetricCell& gauge(const std::string& name, const Labels& labels);
  HistogramCell& histogram(const std::string& name, const Labels& labels);

  void describe(const std::string& name, Type type, const std::string& help);
  void counter_add(const std::string& name, const Labels& labels, double v = 1.0);
  void gauge_set(const std::string& name, const Labels& labels, double v);
  // Histogram with latency buckets in seconds (1 ms .. 60 s).
  void observe(const std::string& name, const Labels& labels, double v);
  // A collector must be described with describe(); it is called under no Metrics lock.
  void add_collector(std::function<void(MetricsWriter&)> collector);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

  // For tests: current value of a counter/gauge series, or 0.
  double value(const std::string& name, const Labels& labels) const;

 private:
  struct Family {
    Type type = Type::counter;
    std::string help;
    // Rendered label set -> cell; unique_ptr so cells never move.
    std::map<std::string, std::unique_ptr<MetricCell>> values;
    std::map<std::string, std::unique_ptr<HistogramCell>> histograms;
  };
  static std::string render_labels(const Labels& labels);
  MetricCell& value_cell(const std::string& name, const Labels& labels, bool gauge);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(MetricsWriter&)>> collectors_;
};

}  // namespace sl
