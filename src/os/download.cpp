// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/download.hpp"

#include <curl/curl.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace aicactl::os {
namespace {

constexpr long kMaxRedirects = 5;
constexpr long kConnectTimeoutSeconds = 30;
// A transfer slower than 1 byte/s for a minute is abandoned (a hung server or network).
constexpr long kLowSpeedSeconds = 60;

// The few libcurl functions we call, resolved from libcurl.so.4 once.
struct Curl {
  void* handle = nullptr;
  std::string problem;
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

template <class F>
bool resolve(Curl& c, F& into, const char* name) {
  into = reinterpret_cast<F>(::dlsym(c.handle, name));
  if (into == nullptr) {
    c.problem = std::string("libcurl.so.4 lacks ") + name;
    return false;
  }
  return true;
}

const Curl& curl() {
  static Curl c;
  static std::once_flag once;
  std::call_once(once, [] {
    c.handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (c.handle == nullptr) {
      const char* why = ::dlerror();
      c.problem = why != nullptr ? why : "libcurl.so.4 cannot be loaded";
      return;
    }
    const bool ok =
        resolve(c, c.global_init, "curl_global_init") && resolve(c, c.easy_init, "curl_easy_init") &&
        resolve(c, c.easy_setopt, "curl_easy_setopt") && resolve(c, c.easy_perform, "curl_easy_perform") &&
        resolve(c, c.easy_getinfo, "curl_easy_getinfo") && resolve(c, c.easy_cleanup, "curl_easy_cleanup") &&
        resolve(c, c.easy_strerror, "curl_easy_strerror") && resolve(c, c.slist_append, "curl_slist_append") &&
        resolve(c, c.slist_free_all, "curl_slist_free_all");
    if (ok && c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      c.problem = "curl_global_init failed";
    }
    if (!c.problem.empty()) {
      ::dlclose(c.handle);
      c.handle = nullptr;
    }
  });
  return c;
}

struct Transfer {
  int fd = -1;
  std::uint64_t written = 0;
  int write_errno = 0;
  const DownloadProgress* progress = nullptr;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t total = size * count;
  std::size_t done = 0;
  while (done < total) {
    const ssize_t n = ::write(t->fd, data + done, total - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      t->write_errno = errno;
      return 0;  // libcurl stops with CURLE_WRITE_ERROR
    }
    done += static_cast<std::size_t>(n);
  }
  t->written += total;
  return total;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
  auto* t = static_cast<Transfer*>(user);
  if (t->progress != nullptr && *t->progress) {
    (*t->progress)(static_cast<std::uint64_t>(now), static_cast<std::uint64_t>(total));
  }
  return 0;
}

}  // namespace

std::expected<std::uint64_t, DownloadError> download_to_fd(const std::string& url, int fd,
                                                           const DownloadProgress& progress) {
  const Curl& c = curl();
  const std::string failed = "Failed to download '" + url + "': ";
  if (c.handle == nullptr) {
    return std::unexpected(DownloadError{true, failed + c.problem});
  }
  CURL* easy = c.easy_init();
  if (easy == nullptr) {
    return std::unexpected(DownloadError{false, failed + "curl_easy_init failed"});
  }
  Transfer t{fd, 0, 0, &progress};
  char error_text[CURL_ERROR_SIZE] = {};
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) {
      rc = c.easy_setopt(easy, option, value);
    }
  };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_ERRORBUFFER, static_cast<char*>(error_text));
  // Only http and https, for the first request and for every redirect (no file://, no ftp).
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 1L);
  set(CURLOPT_MAXREDIRS, kMaxRedirects);
  set(CURLOPT_FAILONERROR, 1L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, kLowSpeedSeconds);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_USERAGENT, "aicactl");
  set(CURLOPT_WRITEFUNCTION, &on_data);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  if (progress) {
    set(CURLOPT_XFERINFOFUNCTION, &on_progress);
    set(CURLOPT_XFERINFODATA, static_cast<void*>(&t));
    set(CURLOPT_NOPROGRESS, 0L);
  }
  if (rc != CURLE_OK) {
    std::string why = c.easy_strerror(rc);
    c.easy_cleanup(easy);
    return std::unexpected(
        DownloadError{false, failed + "libcurl refused an option (" + why + "; needs 7.85 or newer)"});
  }
  rc = c.easy_perform(easy);
  c.easy_cleanup(easy);
  if (rc != CURLE_OK) {
    std::string why = t.write_errno != 0      ? std::string(std::strerror(t.write_errno))
                      : error_text[0] != '\0' ? std::string(static_cast<const char*>(error_text))
                                              : std::string(c.easy_strerror(rc));
    return std::unexpected(DownloadError{false, failed + why});
  }
  return t.written;
}

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

std::expected<HttpResponse, DownloadError> unix_socket_request(const std::string& socket, const std::string& method,
                                                               const std::string& target, const std::string& json_body,
                                                               long timeout_seconds) {
  const Curl& c = curl();
  const std::string failed = "Failed to reach '" + socket + "' (" + method + " " + target + "): ";
  if (c.handle == nullptr) {
    return std::unexpected(DownloadError{true, failed + c.problem});
  }
  CURL* easy = c.easy_init();
  if (easy == nullptr) {
    return std::unexpected(DownloadError{false, failed + "curl_easy_init failed"});
  }
  HttpResponse response;
  curl_slist* headers = nullptr;
  char error_text[CURL_ERROR_SIZE] = {};
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) {
      rc = c.easy_setopt(easy, option, value);
    }
  };
  const std::string url = "http://localhost" + target;
  set(CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http");
  set(CURLOPT_CUSTOMREQUEST, method.c_str());
  set(CURLOPT_ERRORBUFFER, static_cast<char*>(error_text));
  set(CURLOPT_TIMEOUT, timeout_seconds);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_USERAGENT, "aicactl");
  set(CURLOPT_WRITEFUNCTION, &on_body);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&response.body));
  if (!json_body.empty()) {
    headers = c.slist_append(headers, "Content-Type: application/json");
    set(CURLOPT_HTTPHEADER, headers);
    set(CURLOPT_POSTFIELDS, json_body.c_str());
    set(CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
  }
  if (rc == CURLE_OK) {
    rc = c.easy_perform(easy);
  }
  if (rc == CURLE_OK) {
    rc = c.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  }
  c.easy_cleanup(easy);
  c.slist_free_all(headers);
  if (rc != CURLE_OK) {
    return std::unexpected(
        DownloadError{false, failed + (error_text[0] != '\0' ? std::string(static_cast<const char*>(error_text))
                                                             : std::string(c.easy_strerror(rc)))});
  }
  return response;
}

}  // namespace aicactl::os
