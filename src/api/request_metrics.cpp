#include "api/request_metrics.hpp"

#include <mutex>

#include <boost/beast/http/verb.hpp>

namespace sl::api {

namespace http = boost::beast::http;

RequestMetrics::RequestMetrics(Metrics& metrics) : metrics_(metrics) {
  metrics_.describe(kRequestsMetric, Metrics::Type::counter,
                    "HTTP requests answered, by route pattern, method and status.");
  metrics_.describe(kDurationMetric, Metrics::Type::histogram,
                    "Time from request header to the end of the handler, by route pattern.");
}

MetricCell& RequestMetrics::requests(const std::string& route, http::verb method, int status) {
  const auto key = std::tuple(route, static_cast<int>(method), status);
  {
    std::shared_lock lk(mu_);
    if (auto it = requests_.find(key); it != requests_.end()) return *it->second;
  }
  MetricCell& cell = metrics_.counter(
      kRequestsMetric, {{"route", route},
                        {"method", std::string(http::to_string(method))},
                        {"status", std::to_string(status)}});
  std::unique_lock lk(mu_);
  requests_.emplace(key, &cell);
  return cell;
}

HistogramCell& RequestMetrics::duration(const std::string& route) {
  {
    std::shared_lock lk(mu_);
    if (auto it = durations_.find(route); it != durations_.end()) return *it->second;
  }
  HistogramCell& cell = metrics_.histogram(kDurationMetric, {{"route", route}});
  std::unique_lock lk(mu_);
  durations_.emplace(route, &cell);
  return cell;
}

void RequestMetrics::record(const std::string& route, http::verb method, int status,
                            double seconds) {
  requests(route, method, status).add(1);
  duration(route).observe(seconds);
}

}  // namespace sl::api
