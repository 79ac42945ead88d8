// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "aicactl/os/download.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

// A one-request HTTP server on a unix socket: records the request, sends `reply`.
class OneShotServer {
 public:
  OneShotServer(const std::string& path, std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 1) != 0) {
      test::throw_errno("listen on " + path);
    }
    thread_ = std::thread([this] { serve(); });
  }
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;
  ~OneShotServer() {
    if (thread_.joinable()) {
      thread_.join();
    }
    ::close(fd_);
  }
  [[nodiscard]] const std::string& request() {
    if (thread_.joinable()) {
      thread_.join();
    }
    return request_;
  }

 private:
  void serve() {
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      return;
    }
    char buf[4096];
    // Headers, then the body its Content-Length announces.
    for (;;) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      request_.append(buf, static_cast<std::size_t>(n));
      const auto end = request_.find("\r\n\r\n");
      if (end == std::string::npos) {
        continue;
      }
      const auto cl = request_.find("Content-Length: ");
      const std::size_t body = cl == std::string::npos ? 0 : std::stoul(request_.substr(cl + 16));
      if (request_.size() >= end + 4 + body) {
        break;
      }
    }
    const std::string out = reply_;
    (void)!::write(c, out.data(), out.size());
    ::close(c);
  }

  int fd_ = -1;
  std::string reply_;
  std::string request_;
  std::thread thread_;
};

TEST(UnixSocketRequest, GetsAndPostsJson) {
  const test::TempDir tmp;
  const std::string sock = tmp.sub("engine.sock");
  {
    OneShotServer server(sock, "HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\n{\"ApiVersion\": \"1.41\"}\r\n");
    auto r = unix_socket_request(sock, "GET", "/version", "", 10);
    if (!r && r.error().no_library) {
      GTEST_SKIP() << "libcurl.so.4 is not installed";
    }
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"ApiVersion\": \"1.41\"}\r\n");
    EXPECT_TRUE(server.request().starts_with("GET /version HTTP/1.1\r\n")) << server.request();
  }
  {
    OneShotServer server(sock + "2", "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");
    auto r = unix_socket_request(sock + "2", "POST", "/v1.41/containers/create?name=x", "{\"Image\":\"i\"}", 10);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->status, 404);  // an HTTP error is a response, not a failure
    const std::string& req = server.request();
    EXPECT_TRUE(req.starts_with("POST /v1.41/containers/create?name=x HTTP/1.1\r\n")) << req;
    EXPECT_NE(req.find("Content-Type: application/json\r\n"), std::string::npos) << req;
    EXPECT_TRUE(req.ends_with("\r\n\r\n{\"Image\":\"i\"}")) << req;
  }
}

TEST(UnixSocketRequest, MissingSocketIsOneClearError) {
  const test::TempDir tmp;
  auto r = unix_socket_request(tmp.sub("none.sock"), "GET", "/_ping", "", 5);
  ASSERT_FALSE(r.has_value());
  if (r.error().no_library) {
    GTEST_SKIP() << "libcurl.so.4 is not installed";
  }
  EXPECT_TRUE(r.error().message.starts_with("Failed to reach '" + tmp.sub("none.sock") + "' (GET /_ping): "))
      << r.error().message;
}

}  // namespace
}  // namespace aicactl::os
