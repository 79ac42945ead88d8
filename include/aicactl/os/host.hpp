// SPDX-License-Identifier: Apache-2.0
// This machine's name, for the texts aicactl mails, writes to terminals or uses as a label.
#pragma once

#include <string>

namespace aicactl::os {

// gethostname(2), "localhost" when it fails or is empty.
[[nodiscard]] std::string host_name();

}  // namespace aicactl::os
