// Pooled sockets belong to an execution context (an io_context) and must be closed before that
// context destroys its services; a client (and its pool) may well outlive the io_context (the
// app builds backends before the I/O threads). This Asio service, one per context, flips a flag
// and empties the idle lists of the pools that hold the context's sockets when the context shuts
// down; connections released later see the flag and close instead of going back to a pool.
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>

#include <boost/asio/execution_context.hpp>

namespace sl::net {

// Anything that holds idle sockets of a context and can let them go.
class ContextUser {
 public:
  virtual ~ContextUser() = default;
  virtual void drop_context(const boost::asio::execution_context* context) = 0;
};

// The context's liveness flag (true until it shuts down); registers the service on first use.
std::shared_ptr<std::atomic<bool>> context_alive_flag(boost::asio::execution_context& context);

// Calls user->drop_context(&context) when the context shuts down (unless the user is gone).
void watch_context(boost::asio::execution_context& context, std::weak_ptr<ContextUser> user);

}  // namespace sl::net
