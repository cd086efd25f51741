// A tiny TCP server on 127.0.0.1 for source tests: each accepted connection gets a callback
// on the server's thread (serve random bytes, say nothing, ...). Polls so stop() is prompt.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace sl::testing {

// A socket that closes itself.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Binds 127.0.0.1 on a free port.
inline Fd listen_loopback(int* port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return Fd();
  socklen_t len = sizeof(addr);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// A port on which nothing listens (bound once, then released).
inline int closed_port() {
  int port = 0;
  listen_loopback(&port);
  return port;
}

class LoopbackServer {
 public:
  using Handler = std::function<void(int client_fd, const std::atomic<bool>& stopping)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    listener_ = listen_loopback(&port_);
    ::listen(listener_.get(), 16);
    thread_ = std::thread([this] { run(); });
  }
  ~LoopbackServer() {
    stopping_ = true;
    thread_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void run() {
    while (!stopping_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      Fd client(::accept(listener_.get(), nullptr, nullptr));
      if (client.get() < 0) continue;
      ++connections_;
      handler_(client.get(), stopping_);
    }
  }

  Handler handler_;
  Fd listener_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// Reads until the end of the HTTP request headers (or the peer gives up).
inline void read_request(int fd) {
  char buf[4096];
  std::string seen;
  while (seen.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    seen.append(buf, static_cast<size_t>(n));
  }
}

inline void send_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace sl::testing
