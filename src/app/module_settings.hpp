// The translation from the operator's AppConfig to each module's own settings struct. The app
// config keeps the names users see (docs/configuration.md); the modules keep theirs. Every
// field a module reads is filled here, in one place, so a new setting is one table row
// (app/config_table.*) plus one line here. Pure functions, no I/O.
#pragma once

#include "api/chat_media.hpp"
#include "api/http_server.hpp"
#include "app/app_config.hpp"
#include "backends/engine_loader.hpp"
#include "jobs/job_runner.hpp"
#include "refs/url_fetcher.hpp"
#include "streams/stream_manager.hpp"

namespace sl::app {

StreamsConfig streams_settings(const AppConfig& c);
api::ServerLimits server_limits(const AppConfig& c);
jobs::JobSettings job_settings(const AppConfig& c);
api::ChatLimits chat_limits(const AppConfig& c);
FetchPolicy fetch_policy(const AppConfig& c);
// One `models` entry (or --model) with the engine section's defaults filled in; threads 0
// becomes one per CPU core.
LocalModelConfig local_model_config(const AppConfig& c, const ModelSpec& m);
// config.threads, or one per CPU core when 0.
int io_threads(const AppConfig& c);

}  // namespace sl::app
