# tapeless_mpi_command(<out-var> <processes> <executable> [args...]): the command line that runs
# <executable> on <processes> MPI processes on this machine. With Open MPI it adds --oversubscribe
# (more processes than cores: CI has two) and, when configured as root, --allow-run-as-root.
include_guard(GLOBAL)

set(_tapeless_mpi_flags "")
execute_process(COMMAND "${MPIEXEC_EXECUTABLE}" --version OUTPUT_VARIABLE _tapeless_mpiexec_version
                ERROR_QUIET RESULT_VARIABLE _tapeless_mpiexec_rc)
if(_tapeless_mpiexec_rc EQUAL 0 AND _tapeless_mpiexec_version MATCHES "Open MPI|OpenRTE")
  list(APPEND _tapeless_mpi_flags --oversubscribe)
  execute_process(COMMAND id -u OUTPUT_VARIABLE _tapeless_uid OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_tapeless_uid STREQUAL "0")
    list(APPEND _tapeless_mpi_flags --allow-run-as-root)
  endif()
endif()
set(TAPELESS_MPIEXEC_FLAGS "${_tapeless_mpi_flags}" CACHE STRING
    "Extra mpiexec flags for the MPI tests, examples and benchmarks")

function(tapeless_mpi_command out processes executable)
  set(${out} "${MPIEXEC_EXECUTABLE}" ${MPIEXEC_NUMPROC_FLAG} ${processes} ${TAPELESS_MPIEXEC_FLAGS}
             ${MPIEXEC_PREFLAGS} "${executable}" ${MPIEXEC_POSTFLAGS} ${ARGN} PARENT_SCOPE)
endfunction()
