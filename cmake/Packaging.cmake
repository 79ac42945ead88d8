# SPDX-License-Identifier: Apache-2.0
# The Debian package (CPack's DEB generator): `cmake --build build --target package` gives
# aicactl_<version>_amd64.deb with /usr/sbin/aicactl, aicactl(8), the bash completion, the boot
# unit (shipped, not enabled: `aicactl setup` installs and enables its own copy), the commented
# example configuration and the copyright file. The package's files are a component of their own
# ("deb", left out of a plain `cmake --install`, which keeps bin/aicactl: see CMakeLists.txt).
# Its maintainer script (packaging/deb/postinst) never runs setup and never touches /data.
set(AICACTL_DEB_DIR ${PROJECT_SOURCE_DIR}/packaging/deb)
set(AICACTL_DEB_STAGE ${PROJECT_BINARY_DIR}/deb)

# Debian wants compressed man pages and changelogs with no time stamp inside (gzip -n), and the
# completion is made by the built binary from its own command tree.
find_program(GZIP gzip REQUIRED)
add_custom_command(
  OUTPUT ${AICACTL_DEB_STAGE}/aicactl.8.gz ${AICACTL_DEB_STAGE}/changelog.gz ${AICACTL_DEB_STAGE}/aicactl.bash
  COMMAND ${CMAKE_COMMAND} -E make_directory ${AICACTL_DEB_STAGE}
  COMMAND ${GZIP} -9n -c ${PROJECT_BINARY_DIR}/aicactl.8 > ${AICACTL_DEB_STAGE}/aicactl.8.gz
  COMMAND ${GZIP} -9n -c ${AICACTL_DEB_DIR}/changelog > ${AICACTL_DEB_STAGE}/changelog.gz
  COMMAND $<TARGET_FILE:aicactl> completion bash > ${AICACTL_DEB_STAGE}/aicactl.bash
  DEPENDS aicactl manpage ${PROJECT_BINARY_DIR}/aicactl.8 ${AICACTL_DEB_DIR}/changelog
  COMMENT "Staging the Debian package's man page, changelog and bash completion")
add_custom_target(deb_stage ALL DEPENDS ${AICACTL_DEB_STAGE}/aicactl.8.gz ${AICACTL_DEB_STAGE}/changelog.gz
                                        ${AICACTL_DEB_STAGE}/aicactl.bash)

install(TARGETS aicactl RUNTIME DESTINATION sbin COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${AICACTL_DEB_STAGE}/aicactl.8.gz DESTINATION share/man/man8 COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${AICACTL_DEB_STAGE}/aicactl.bash DESTINATION share/bash-completion/completions RENAME aicactl
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/aicactl-recover.service DESTINATION /lib/systemd/system
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${AICACTL_DEB_DIR}/copyright ${AICACTL_DEB_STAGE}/changelog.gz DESTINATION share/doc/aicactl
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/etc/aicactl.toml DESTINATION share/doc/aicactl/examples
        COMPONENT deb EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME aicactl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "aicactl maintainers <aicactl@lists.aicactl.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "keeps a shared multi-user GPU server whole")
# CPack writes the summary as the first line and indents each line of this one.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "aicactl lays out the persistent data disk of a shared GPU server (homes, shared
conda/pip/uv/npm and model caches with POSIX ACLs), manages user accounts, and
rebuilds accounts, links and settings from the data disk after a reboot or
re-image. The package installs the tool only: run 'aicactl setup --init' to set
a server up.")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL deb)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://github.com/aicactl/aicactl)
# libstdc++ and libgcc are linked statically (it must run from /data on a bare image): glibc only.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.36)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcurl4")  # dlopen()ed by `aicactl install` for URLs
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "default-mta | mail-transport-agent, whiptail | dialog")  # expiry notices; the wizard's menus
# A postinst that only prints the next step; no postrm: removing or purging the package removes
# only its own files, never the data disk nor what `aicactl setup` wrote under /etc.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${AICACTL_DEB_DIR}/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
