// The small steps a plan is made of. Each describes itself ("Would create directory '/data'"),
// names its kind and target, and applies itself after re-checking its precondition. apply() is
// the only code in aicactl that mutates the system for setup.
#pragma once

#include <sys/types.h>

#include <string>
#include <variant>

#include "aicactl/os/acl.hpp"
#include "aicactl/os/error.hpp"

namespace aicactl::core {

struct CreateGroup {
  std::string name;
};
struct CreateDirectory {
  std::string path;
  std::string group;
  mode_t mode = 0755;
};
struct SetOwnership {
  std::string path;
  std::string group;  // owner is always root
};
struct SetMode {
  std::string path;
  mode_t mode = 0755;
};
struct SetSharedAcl {
  std::string path;
  std::string group;
  os::AclKind kind = os::AclKind::access;
};
struct WriteFile {
  std::string path;
  std::string content;
  mode_t mode = 0644;
  bool replace = false;  // the file exists and differs
};
// Something in the way that aicactl must not fix by itself (e.g. a symlink where a directory
// belongs). Applying it always fails with the reason.
struct Conflict {
  std::string path;
  std::string reason;
};

using Action = std::variant<CreateGroup, CreateDirectory, SetOwnership, SetMode, SetSharedAcl, WriteFile, Conflict>;

enum class Tense { future, past };

[[nodiscard]] std::string describe(const Action& action, Tense tense);
[[nodiscard]] std::string kind_of(const Action& action);
[[nodiscard]] std::string target_of(const Action& action);
[[nodiscard]] os::Result<void> apply(const Action& action);

}  // namespace aicactl::core
