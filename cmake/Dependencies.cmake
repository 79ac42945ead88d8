# SPDX-License-Identifier: Apache-2.0
# Third-party code, all from Debian packages. Everything ends up static except glibc:
# spdlog and fmt are used header-only (Debian ships no .a), libacl is linked from libacl.a,
# libstdc++/libgcc statically.
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(Threads REQUIRED)
find_path(TOML11_INCLUDE_DIR toml.hpp REQUIRED)
find_path(SPDLOG_INCLUDE_DIR spdlog/spdlog.h REQUIRED)
find_path(FMT_INCLUDE_DIR fmt/format.h REQUIRED)
find_library(ACL_STATIC libacl.a REQUIRED)
find_path(ACL_INCLUDE_DIR sys/acl.h REQUIRED)
# libcurl: its header only (libcurl4-openssl-dev); the library is dlopen()ed at run time, since
# Debian ships no static libcurl dependencies (nghttp2, psl, gssapi, ldap, ...).
find_path(CURL_INCLUDE_DIR curl/curl.h REQUIRED)
# SQLite (session state): linked statically from libsqlite3-dev's libsqlite3.a.
find_library(SQLITE_STATIC libsqlite3.a REQUIRED)

add_library(aicactl_deps INTERFACE)
target_include_directories(aicactl_deps SYSTEM INTERFACE
  ${TOML11_INCLUDE_DIR} ${SPDLOG_INCLUDE_DIR} ${FMT_INCLUDE_DIR} ${ACL_INCLUDE_DIR} ${CURL_INCLUDE_DIR})
target_compile_definitions(aicactl_deps INTERFACE
  SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)  # spdlog is header-only unless SPDLOG_COMPILED_LIB
target_link_libraries(aicactl_deps INTERFACE CLI11::CLI11 nlohmann_json::nlohmann_json
  ${ACL_STATIC} Threads::Threads)

# The one binary links libstdc++/libgcc statically so it runs from /data on a bare image.
add_library(aicactl_static_runtime INTERFACE)
target_link_options(aicactl_static_runtime INTERFACE -static-libstdc++ -static-libgcc)
