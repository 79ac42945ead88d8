// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/download.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

// Only http and https: a file:// URL (or a redirect to one) must never read local files.
TEST(Download, RefusesOtherProtocols) {
  auto r = download_to_fd("file:///etc/hostname", -1, {});
  ASSERT_FALSE(r.has_value());
  if (r.error().no_library) {
    GTEST_SKIP() << "libcurl.so.4 is not installed: " << r.error().message;
  }
  EXPECT_NE(r.error().message.find("file:///etc/hostname"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("rotocol"), std::string::npos) << r.error().message;
}

TEST(Download, ConnectionRefusedFailsCleanly) {
  const test::TempDir tmp;
  const test::Fd fd(::open(tmp.sub("out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  // Port 1 on the loopback: nothing listens there.
  auto r = download_to_fd("http://127.0.0.1:1/x", fd.get(), {});
  ASSERT_FALSE(r.has_value());
  if (r.error().no_library) {
    GTEST_SKIP() << "libcurl.so.4 is not installed";
  }
  EXPECT_TRUE(r.error().message.starts_with("Failed to download 'http://127.0.0.1:1/x': ")) << r.error().message;
}

}  // namespace
}  // namespace aicactl::os
