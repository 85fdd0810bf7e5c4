# cmake -DABIDW= -DLIB= -DHEADERS= -DGEN_HEADERS= -DTOP= -DOUT= -P baseline.cmake: writes the
# ABI baseline, with the paths of this checkout made relative so it does not depend on it.
execute_process(COMMAND ${ABIDW} --no-show-locs --no-comp-dir-path --no-corpus-path
    --drop-private-types --headers-dir ${HEADERS} --headers-dir ${GEN_HEADERS} ${LIB}
  OUTPUT_VARIABLE abi RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "abidw failed (${rc})")
endif()
string(REPLACE "${TOP}/" "" abi "${abi}")
file(WRITE ${OUT} "${abi}")
