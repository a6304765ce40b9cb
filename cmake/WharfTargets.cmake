# Helpers that give every Wharf library and test the same flags.

# -Wmaybe-uninitialized is off: GCC 12 at -O2/-O3 reports false positives inside
# std::string for aggregates built in initializer lists (GCC bug 105562 and friends).
set(WHARF_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-maybe-uninitialized)

# wharf_library(NAME SOURCES... [DEPS ...] [PUBLIC_DEPS ...])
#   Creates wharf_<NAME> with alias wharf::<NAME>, rooted at src/ for includes.
function(wharf_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(wharf_${name} STATIC ${ARG_SOURCES})
  add_library(wharf::${name} ALIAS wharf_${name})
  target_include_directories(wharf_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(wharf_${name} PRIVATE ${WHARF_WARNINGS})
  target_link_libraries(wharf_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
endfunction()

# wharf_test(NAME SOURCES... DEPS ...)
#   One GoogleTest binary per module, registered with ctest under label "unit".
function(wharf_test name)
  if(NOT WHARF_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_test ${ARG_SOURCES})
  target_compile_options(${name}_test PRIVATE ${WHARF_WARNINGS})
  target_link_libraries(${name}_test PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name}_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
endfunction()
