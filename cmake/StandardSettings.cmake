# SPDX-License-Identifier: Apache-2.0
# Language level and warnings for every aicactl target (an INTERFACE target, like ccache's cmake/).
set(CMAKE_CXX_STANDARD 23)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()

add_library(aicactl_settings INTERFACE)
target_compile_options(aicactl_settings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  # GCC 12 false positives inside libstdc++ at -O2 (GCC PR105329, PR105651):
  -Wno-restrict)
target_compile_definitions(aicactl_settings INTERFACE _GNU_SOURCE
  AICACTL_VERSION="${PROJECT_VERSION}")
