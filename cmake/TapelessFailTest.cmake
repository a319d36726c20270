# Compile-fail twins (STYLE.md 2.7).
#
# tapeless_add_fail_test(<src>): <src> is tests/fail/<name>.cpp whose first line is
# "// expect: <regex>". Adds two EXCLUDE_FROM_ALL object libraries and two tests that build them:
#   fail.<name>.ok    must compile;
#   fail.<name>.fail  (defines TAPELESS_EXPECT_FAIL) must fail with output matching <regex>.
# The good and the bad line sit side by side under #ifdef TAPELESS_EXPECT_FAIL, so the pair proves
# the error comes from that one line and not from a broken file.
function(tapeless_add_fail_test src)
  get_filename_component(name "${src}" NAME_WE)
  file(STRINGS "${src}" first LIMIT_COUNT 1)
  if(NOT first MATCHES "^// expect: (.+)$")
    message(FATAL_ERROR "${src}: the first line must be '// expect: <regex>'")
  endif()
  set(expect "${CMAKE_MATCH_1}")
  foreach(mode ok fail)
    set(target fail.${name}.${mode})
    add_library(${target} OBJECT EXCLUDE_FROM_ALL "${src}")
    target_link_libraries(${target} PRIVATE tapeless::tapeless)
    target_compile_options(${target} PRIVATE -O0)   # only the front end's verdict matters
    add_test(NAME ${target}
             COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target ${target} --config $<CONFIG>)
    # One build at a time in the build tree: two ninja processes on one tree corrupt its state.
    # LC_ALL=C: g++ quotes with ASCII ' instead of UTF-8 quotes, so regexes can use ';'.
    set_tests_properties(${target} PROPERTIES RESOURCE_LOCK build_tree LABELS compile_fail
                                              ENVIRONMENT LC_ALL=C)
  endforeach()
  target_compile_definitions(fail.${name}.fail PRIVATE TAPELESS_EXPECT_FAIL)
  set_tests_properties(fail.${name}.fail PROPERTIES PASS_REGULAR_EXPRESSION "${expect}")
endfunction()
