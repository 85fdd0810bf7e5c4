# The C example of docs/URING.md compiles against the UAPI header and liburing alone.
# Arguments: DOC (the page), UAPI (driver/include/uapi), CC, OUT (a directory).
file(READ ${DOC} doc)
string(REGEX MATCH "```c\n(.*)\n```\n\n## libkctl" block "${doc}")
if(NOT CMAKE_MATCH_1)
  message(FATAL_ERROR "no ```c block in ${DOC}")
endif()
file(MAKE_DIRECTORY ${OUT})
file(WRITE ${OUT}/uring_example.c "${CMAKE_MATCH_1}\n")
execute_process(
  COMMAND ${CC} -std=gnu11 -Wall -Wextra -Werror -I${UAPI} ${OUT}/uring_example.c -luring
    -o ${OUT}/uring_example
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the example does not compile (${rc}):\n${err}")
endif()
