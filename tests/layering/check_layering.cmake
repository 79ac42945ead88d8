# SPDX-License-Identifier: Apache-2.0
# Builds each layering probe and checks the outcome (see CMakeLists.txt beside this file).
function(probe target expect header)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${target}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(expect STREQUAL "fails")
    if(rc EQUAL 0)
      message(FATAL_ERROR "${target}: an upward include of ${header} built; the layering is not enforced")
    endif()
    string(FIND "${out}" "${header}: No such file or directory" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${target}: failed, but not because ${header} was not found:\n${out}")
    endif()
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "${target}: includes of its own and lower layers failed to build:\n${out}")
  endif()
  message(STATUS "${target}: ${expect} as it should")
endfunction()

probe(layering_core_includes_os builds "")
probe(layering_os_includes_core fails aicactl/core/plan/errors.hpp)
probe(layering_core_includes_cli fails aicactl/cli/render.hpp)
