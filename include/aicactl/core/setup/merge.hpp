// SPDX-License-Identifier: Apache-2.0
// Merges one managed setting into a configuration file that may hold the admin's own settings
// (a cert or an index URL in /etc/pip.conf, a cafile in npmrc): only our key is replaced or
// added, every other line is kept as it was. Re-merging a merged file changes nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aicactl::core {

enum class FileFormat {
  whole,      // the file is entirely ours
  ini,        // pip.conf: `key = value` in [section]
  keyvalue,   // npmrc: `key=value`
  toml_top,   // uv.toml: top-level `key = "value"`
  yaml_list,  // .condarc: `key:` followed by `  - item` lines
};

struct Setting {
  FileFormat format = FileFormat::whole;
  std::string section;            // ini only
  std::vector<std::string> keys;  // first is written; all are replaced (cache-dir, cache_dir)
  std::string value;              // for yaml_list: one item
};

// `current` is the file's text ("" when it does not exist); `header` starts a new file.
[[nodiscard]] std::string merge_setting(std::string_view current, const Setting& setting, std::string_view header);

}  // namespace aicactl::core
