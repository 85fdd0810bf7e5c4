# cmake -DABIDW= -DABIDIFF= -DLIB= -DBASELINE= -DHEADERS= -DGEN_HEADERS= -DWORK= -P abidiff.cmake
# abidiff's status is a bit set: 1 error, 2 usage error, 4 ABI change, 8 incompatible change.
execute_process(COMMAND ${ABIDIFF} --no-show-locs --drop-private-types
    --headers-dir2 ${HEADERS} --headers-dir2 ${GEN_HEADERS} ${BASELINE} ${LIB}
  OUTPUT_VARIABLE report ERROR_VARIABLE report RESULT_VARIABLE rc)
message("${report}")
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "abidiff did not run: ${rc}")
endif()
math(EXPR error "${rc} & 3")
math(EXPR incompatible "${rc} & 8")
if(error)
  message(FATAL_ERROR "abidiff failed (status ${rc})")
endif()
if(incompatible)
  file(READ ${BASELINE} base)
  string(REGEX MATCH "soname='([^']*)'" _ "${base}")
  set(old_soname "${CMAKE_MATCH_1}")
  execute_process(COMMAND ${ABIDW} --no-show-locs --no-corpus-path ${LIB}
    OUTPUT_FILE ${WORK}/current.abi)
  file(READ ${WORK}/current.abi now)
  string(REGEX MATCH "soname='([^']*)'" _ "${now}")
  set(new_soname "${CMAKE_MATCH_1}")
  if(old_soname STREQUAL new_soname)
    message(FATAL_ERROR "an incompatible ABI change with the same SONAME ${new_soname}: "
      "restore compatibility, or bump the SOVERSION and regenerate the baseline "
      "(cmake --build BUILD --target abi-baseline)")
  endif()
  message(STATUS "incompatible, but the SONAME moved (${old_soname} -> ${new_soname}): "
    "regenerate the baseline")
elseif(rc EQUAL 4)
  message(STATUS "compatible additions only (listed above)")
else()
  message(STATUS "no ABI change")
endif()
