// SPDX-License-Identifier: Apache-2.0
// HTTP(S) downloads through libcurl, loaded at run time with dlopen("libcurl.so.4"): the binary
// stays free of libcurl's many shared dependencies and runs on an image without it, where only a
// download fails (the way systemd loads its optional libraries). Only http and https are allowed,
// certificates are verified (libcurl's default), HTTP errors fail, redirects are followed (a few).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>

namespace aicactl::os {

// Called now and then with the bytes received so far and the expected total (0 when unknown).
using DownloadProgress = std::function<void(std::uint64_t received, std::uint64_t total)>;

struct DownloadError {
  bool no_library = false;  // libcurl.so.4 could not be loaded (nothing was tried)
  std::string message;      // "Failed to download 'URL': The requested URL returned error: 404"
};

// Writes the body of `url` to the open file `fd` (from its current offset) and returns its size.
[[nodiscard]] std::expected<std::uint64_t, DownloadError> download_to_fd(const std::string& url, int fd,
                                                                         const DownloadProgress& progress);

struct HttpResponse {
  long status = 0;   // the HTTP status code
  std::string body;  // the response body
};

// One HTTP request to a server on a unix socket (the Docker Engine API on /var/run/docker.sock),
// through the same libcurl: `method` ("GET", "POST", "DELETE"), `target` ("/v1.41/containers/json"),
// `json_body` sent as application/json when not empty. Any HTTP status is a response; a refused
// connection, a timeout or a missing libcurl is a DownloadError ("Failed to reach 'SOCKET': ...").
[[nodiscard]] std::expected<HttpResponse, DownloadError> unix_socket_request(const std::string& socket,
                                                                             const std::string& method,
                                                                             const std::string& target,
                                                                             const std::string& json_body,
                                                                             long timeout_seconds);

}  // namespace aicactl::os
