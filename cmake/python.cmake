# Decides SELFENS_BUILD_PYTHON from SELFENS_PYTHON (ON / OFF / AUTO): AUTO
# builds the extension when Python's development headers and the nanobind
# package are found, and never in sanitizer or fuzz builds (an extension
# under ASan needs its runtime preloaded into python).
set(SELFENS_BUILD_PYTHON OFF)
if(SELFENS_PYTHON STREQUAL "AUTO" AND (SELFENS_SANITIZE OR SELFENS_FUZZ))
  set(SELFENS_PYTHON OFF)
endif()
if(NOT SELFENS_PYTHON STREQUAL "OFF")
  find_package(Python 3.9 COMPONENTS Interpreter Development.Module)
  if(Python_FOUND)
    execute_process(COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir
                    OUTPUT_VARIABLE nanobind_ROOT OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE nanobind_missing ERROR_QUIET)
    if(NOT nanobind_missing)
      find_package(nanobind CONFIG)
    endif()
  endif()
  if(nanobind_FOUND)
    set(SELFENS_BUILD_PYTHON ON)
  elseif(SELFENS_PYTHON STREQUAL "ON")
    message(FATAL_ERROR "SELFENS_PYTHON=ON: Python development headers or nanobind not found "
                        "(pip install nanobind)")
  endif()
endif()
if(SELFENS_BUILD_PYTHON)
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
endif()
message(STATUS "selfens: Python extension ${SELFENS_BUILD_PYTHON}")
