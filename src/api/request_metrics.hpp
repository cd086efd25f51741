// RequestMetrics: the per-request HTTP metrics (http_requests_total by route, method and status;
// http_request_duration_seconds by route) on the hot path. Each series' cells are looked up once
// and then found under a shared (reader) lock by small keys, with no label rendering and no
// exclusive lock per request; the cells themselves are atomics (core/metrics.hpp).
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <tuple>

#include <boost/beast/http/verb.hpp>

#include "core/metrics.hpp"

namespace sl::api {

inline constexpr const char* kRequestsMetric = "http_requests_total";
inline constexpr const char* kDurationMetric = "http_request_duration_seconds";

class RequestMetrics {
 public:
  explicit RequestMetrics(Metrics& metrics);
  // status 499: the client went away before a response started.
  void record(const std::string& route, boost::beast::http::verb method, int status,
              double seconds);

 private:
  MetricCell& requests(const std::string& route, boost::beast::http::verb method, int status);
  HistogramCell& duration(const std::string& route);

  Metrics& metrics_;
  std::shared_mutex mu_;
  std::map<std::tuple<std::string, int, int>, MetricCell*, std::less<>> requests_;
  std::map<std::string, HistogramCell*, std::less<>> durations_;
};

}  // namespace sl::api
