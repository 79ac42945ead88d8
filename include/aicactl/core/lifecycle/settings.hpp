// SPDX-License-Identifier: Apache-2.0
// [lifecycle]: account expiry notices, what expiry revokes, who is never touched, and where term
// snapshots go (see core/lifecycle/expiry.hpp).
#pragma once

#include <string>
#include <vector>

namespace aicactl::core {

struct LifecycleConfig {
  std::vector<int> notice_days = {14, 7, 1};  // days before expiry on which a notice goes out
  std::string mail_domain;                    // "" = mail USER on this host (sendmail's default)
  std::vector<std::string> revoke_groups;     // groups left at expiry besides the sharing group
  std::vector<std::string> keep;              // users `user expire` never touches unless named
  int grace_seconds = 10;                     // between SIGTERM and SIGKILL at expiry (0..300)
  std::vector<std::string> purge_paths;       // per-host data of a user removed by term close ({user})
  std::string backup_dir = "backup";          // below data_root: one folder per closed term
};

}  // namespace aicactl::core
