# cmake -DFIRST=<program> [-DFIRST_ARGS=<its arguments>] -DSECOND=<program or script>
#       -DCHECK=<example_check_log> -DLOG=<file> -P SameLog.cmake
# Runs FIRST (with FIRST_ARGS), keeps its log in LOG, then checks with example_check_log that SECOND
# prints the same log (text exactly, numbers within two units of their last printed digit). The
# MPI examples compare a run over several processes with one alone (`--alone`); the lecture's
# examples compiled by nvcc compare with their host build.
execute_process(COMMAND "${FIRST}" ${FIRST_ARGS} OUTPUT_FILE "${LOG}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FIRST} ${FIRST_ARGS} exited with ${rc}")
endif()
file(READ "${LOG}" first)
string(LENGTH "${first}" length)
if(length LESS 100)
  message(FATAL_ERROR "${FIRST} ${FIRST_ARGS} printed almost nothing:\n${first}")
endif()
execute_process(COMMAND "${CHECK}" "${SECOND}" "${LOG}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the log of ${SECOND} differs from the log of ${FIRST} ${FIRST_ARGS} (above)")
endif()
