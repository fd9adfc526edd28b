# Used by build_for_gpu.sh as CMAKE_PROJECT_INCLUDE while the top CMakeLists
# does not add tools/gpu itself: defines the tools once the whole top level is
# read (all selfens_* targets and SELFENS_HAVE_CUDA exist by then).
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR}
  CALL include ${CMAKE_SOURCE_DIR}/tools/gpu/targets.cmake)
