// Prometheus metrics. One Metrics object is created by the app and handed to the modules that
// report. Two ways to report: push (counter_add / gauge_set / observe, for events such as HTTP
// requests) and pull (a collector callback run at scrape time, for state that already lives
// elsewhere, such as per-stream frame counters), so hot paths never touch a shared lock.
#pragma once

#include <functional>
#include <map>
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

class Metrics {
 public:
  enum class Type { counter, gauge, histogram };

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
  struct Histogram {
    std::vector<double> counts;  // per bucket, cumulative at render time
    double sum = 0;
    double count = 0;
  };
  struct Family {
    Type type = Type::counter;
    std::string help;
    std::map<std::string, double> values;          // rendered label set -> value
    std::map<std::string, Histogram> histograms;   // rendered label set -> histogram
  };
  static std::string render_labels(const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(MetricsWriter&)>> collectors_;
};

}  // namespace sl
