# selfens_module(NAME DEPS...): library selfens_NAME from src/NAME/*.cpp
# (and src/NAME/cpu/*.cpp; src/NAME/cuda/*.cu when CUDA is on).
set(SELFENS_MODULES "" CACHE INTERNAL "")
function(selfens_module name)
  set(dir ${PROJECT_SOURCE_DIR}/src/${name})
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.cpp ${dir}/cpu/*.cpp)
  if(SELFENS_HAVE_CUDA)
    file(GLOB cuda_srcs CONFIGURE_DEPENDS ${dir}/cuda/*.cu ${dir}/cuda/*.cpp)
    list(APPEND srcs ${cuda_srcs})
  endif()
  if(srcs)
    add_library(selfens_${name} STATIC ${srcs})
    target_include_directories(selfens_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(selfens_${name} PUBLIC ${ARGN})
    target_compile_definitions(selfens_${name} PUBLIC SELFENS_VERSION="${PROJECT_VERSION}")
    if(SELFENS_HAVE_CUDA)
      target_compile_definitions(selfens_${name} PUBLIC SELFENS_HAVE_CUDA=1)
      if(cuda_srcs)
        # Static cuBLAS when the toolkit ships it; otherwise libcublas.so.13,
        # found at run time on the GPU machine (tools/gpu/run_gpu_checks.sh).
        if(TARGET CUDA::cublas_static)
          target_link_libraries(selfens_${name} PUBLIC CUDA::cublas_static CUDA::cublasLt_static
                                CUDA::cudart_static)
        else()
          target_link_libraries(selfens_${name} PUBLIC CUDA::cublas CUDA::cublasLt CUDA::cudart_static)
        endif()
        # .cu files are C++17 (CMake 3.25 has no C++20 flag for nvcc); they
        # include only C++17 headers (backend/cuda/cuda_kernels.h).
        set_target_properties(selfens_${name} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF
                              CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
      endif()
    endif()
  else()
    add_library(selfens_${name} INTERFACE)
    target_include_directories(selfens_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(selfens_${name} INTERFACE ${ARGN})
  endif()
  set(SELFENS_MODULES ${SELFENS_MODULES} ${name} CACHE INTERNAL "")
endfunction()

# One gtest binary per module: tests/NAME/*.cpp -> test_NAME.
function(selfens_add_tests)
  foreach(name ${SELFENS_MODULES})
    file(GLOB tsrcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${name}/*.cpp)
    if(tsrcs)
      add_executable(test_${name} ${tsrcs} ${PROJECT_SOURCE_DIR}/tests/common/test_paths.cpp)
      target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
      target_link_libraries(test_${name} PRIVATE selfens_${name} GTest::gtest_main)
      target_compile_definitions(test_${name} PRIVATE
        SELFENS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        SELFENS_BINARY="$<TARGET_FILE:selfens>")
      gtest_discover_tests(test_${name} DISCOVERY_MODE PRE_TEST
        PROPERTIES ENVIRONMENT "SELFENS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
    endif()
  endforeach()
endfunction()
