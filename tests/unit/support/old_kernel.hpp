// SPDX-License-Identifier: Apache-2.0
// Runs the fallbacks for older kernels on a new one: a seccomp filter makes the syscalls that
// only recent kernels have fail with ENOSYS, as they do on Linux < 6.6 (fchmodat2) and < 6.13
// (setxattrat, getxattrat, listxattrat, removexattrat) — Debian 12 runs 6.1, Ubuntu 22.04 5.15.
// The filter cannot be removed: install it only in a forked child (test::run_in_child).
#pragma once

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/test_support.hpp"

namespace aicactl::test {

inline constexpr std::uint32_t kSysFchmodat2 = 452;
inline constexpr std::uint32_t kSysSetxattrat = 463;
inline constexpr std::uint32_t kSysGetxattrat = 464;
inline constexpr std::uint32_t kSysListxattrat = 465;
inline constexpr std::uint32_t kSysRemovexattrat = 466;

inline constexpr sock_filter bpf_stmt(unsigned code, std::uint32_t k) {
  return sock_filter{static_cast<std::uint16_t>(code), 0, 0, k};
}
inline constexpr sock_filter bpf_jeq(std::uint32_t k, std::uint8_t if_true, std::uint8_t if_false) {
  return sock_filter{static_cast<std::uint16_t>(BPF_JMP | BPF_JEQ | BPF_K), if_true, if_false, k};
}

// Returns "" when the new syscalls now fail with ENOSYS, else kSkipPrefix + why not.
inline std::string pretend_old_kernel() {
#if defined(__x86_64__)
  constexpr std::uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  constexpr std::uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
  return std::string(kSkipPrefix) + "no seccomp filter for this architecture";
#endif
  constexpr std::uint32_t kEnosys = SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(ENOSYS) & SECCOMP_RET_DATA);
  std::array<sock_filter, 11> filter{
      bpf_stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      bpf_jeq(kArch, 1, 0),
      bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      bpf_stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      bpf_jeq(kSysFchmodat2, 5, 0),
      bpf_jeq(kSysSetxattrat, 4, 0),
      bpf_jeq(kSysGetxattrat, 3, 0),
      bpf_jeq(kSysListxattrat, 2, 0),
      bpf_jeq(kSysRemovexattrat, 1, 0),
      bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      bpf_stmt(BPF_RET | BPF_K, kEnosys),
  };
  const sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return std::string(kSkipPrefix) + "prctl(PR_SET_NO_NEW_PRIVS): " + errno_text(errno);
  }
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return std::string(kSkipPrefix) + "seccomp: " + errno_text(errno);
  }
  if (::syscall(kSysGetxattrat, -1, "", 0, "user.x", nullptr, 0) != -1 || errno != ENOSYS) {
    return "the seccomp filter did not take effect";
  }
  return "";
}

}  // namespace aicactl::test
