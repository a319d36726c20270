# cmake -DEXE=<program> -DEXPECTED=<file> -P CompareOutput.cmake
# Runs EXE and compares its standard output with EXPECTED after collapsing every run of
# whitespace to one space (the lecture's log has tabs where PyTorch prints padding).
execute_process(COMMAND "${EXE}" OUTPUT_VARIABLE actual RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${rc}")
endif()
file(READ "${EXPECTED}" expected)
foreach(var actual expected)
  string(REGEX REPLACE "[ \t\r\n]+" " " ${var} "${${var}}")
  string(STRIP "${${var}}" ${var})
endforeach()
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "output of ${EXE} differs from ${EXPECTED}\n--- expected\n${expected}\n--- actual\n${actual}")
endif()
