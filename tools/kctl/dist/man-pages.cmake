# cmake -DKCTL=... -DHELP2MAN=... -DDIST=... -DOUT=... -DVERSION=... -P man-pages.cmake
# kctl's man pages with help2man: kctl.1, and kctl-PATH.1 for every command and subcommand
# `kctl --dump-cli man` lists (PATH with '-' for ' ', e.g. kctl-udev-install.1), NAME lines
# from the commands' own descriptions. Pages of commands that no longer exist are removed.
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${KCTL} --dump-cli man OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${KCTL} --dump-cli man failed")
endif()
file(GLOB old ${OUT}/*.1)
if(old)
  file(REMOVE ${old})
endif()

function(page program name output include)
  execute_process(COMMAND ${HELP2MAN} --no-info --name ${name}
      --version-string "kctl ${VERSION}" --include ${include} --output ${output} ${program}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "help2man failed for ${program}")
  endif()
endfunction()

page(${KCTL} "control the kdemo devices" ${OUT}/kctl.1 ${DIST}/kctl.h2m)
string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REPLACE "\t" ";" fields "${line}")
  list(GET fields 0 path)
  list(GET fields 1 name)
  string(REPLACE " " "-" stem "${path}")
  string(REGEX REPLACE " .*" "" top "${path}")
  set(include ${DIST}/kctl-command.h2m)
  if(EXISTS ${DIST}/kctl-${stem}.h2m)
    set(include ${DIST}/kctl-${stem}.h2m)
  elseif(EXISTS ${DIST}/kctl-${top}.h2m)
    set(include ${DIST}/kctl-${top}.h2m)
  endif()
  # help2man runs "PROGRAM --help" through the shell, so "kctl udev install" is one program.
  page("${KCTL} ${path}" "${name}" ${OUT}/kctl-${stem}.1 ${include})
endforeach()
