// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/host.hpp"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <string>

namespace aicactl::os {
namespace {

TEST(HostName, IsTheKernelsNodeName) {
  utsname uts{};
  ASSERT_EQ(::uname(&uts), 0);
  const std::string expected = uts.nodename[0] == '\0' ? "localhost" : uts.nodename;
  EXPECT_EQ(host_name(), expected);
}

}  // namespace
}  // namespace aicactl::os
