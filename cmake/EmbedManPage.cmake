# SPDX-License-Identifier: Apache-2.0
# cmake -DIN=aicactl.8 -DTEMPLATE=man_page.hpp.in -DOUT=man_page.hpp -P EmbedManPage.cmake
# Puts the rendered man page into a header, so the binary installs it with no file beside it.
file(READ ${IN} AICACTL_MAN_PAGE)
configure_file(${TEMPLATE} ${OUT} @ONLY)
