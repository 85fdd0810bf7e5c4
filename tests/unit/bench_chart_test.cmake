# tools/bench-chart draws the committed run: exit status 0 and an SVG with the title and
# the four panels. Arguments: CHART (the script), RUN (a kctl bench --json document), OUT.
file(REMOVE ${OUT})
execute_process(COMMAND ${CHART} ${RUN} ${OUT} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench-chart failed (${rc}): ${err}")
endif()
file(READ ${OUT} svg)
foreach(want "<svg" "kctl bench: kdemo0" "add(): values/s" "message get/set: bytes/s"
             "threads on one device" "</svg>")
  string(FIND "${svg}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the chart lacks '${want}'")
  endif()
endforeach()
