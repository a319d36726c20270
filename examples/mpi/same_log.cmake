# cmake -DALONE=<example> [-DARGS=<its arguments>] -DMULTI=<script running it under mpiexec>
#       -DCHECK=<example_check_log> -DLOG=<file> -P same_log.cmake
# Runs the example alone (`--alone ARGS`: one process, no MPI collective), keeps its log in LOG, then
# checks with example_check_log that the run over several processes prints the same log (text
# exactly, numbers within two units of their last printed digit).
execute_process(COMMAND "${ALONE}" --alone ${ARGS} OUTPUT_FILE "${LOG}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${ALONE} --alone exited with ${rc}")
endif()
file(READ "${LOG}" alone)
string(LENGTH "${alone}" length)
if(length LESS 100)
  message(FATAL_ERROR "${ALONE} --alone printed almost nothing:\n${alone}")
endif()
execute_process(COMMAND "${CHECK}" "${MULTI}" "${LOG}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the log over several processes differs from the log of one process (above)")
endif()
