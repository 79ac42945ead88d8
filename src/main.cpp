// SPDX-License-Identifier: Apache-2.0
#include "aicactl/cli/app.hpp"

int main(int argc, char** argv) {
  return aicactl::cli::run(argc, argv);
}
