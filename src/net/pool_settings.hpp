// Settings of the outbound keep-alive pools (config file section `outbound`,
// docs/configuration.md). One struct, used by the app config and the pool alike.
#pragma once

#include <cstdint>

namespace sl::net {

struct PoolSettings {
  int max_idle_per_host = 8;           // 0: no keep-alive, every request on a new connection
  int max_connections_per_host = 256;  // idle + in use; one more request waits for a free one
  int64_t idle_timeout_ms = 10'000;    // an idle connection older than this is closed
};

}  // namespace sl::net
