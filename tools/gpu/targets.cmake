# gpu_backend_check: CudaBackend vs the CPU backend, op by op and end to end.
# Included by tools/gpu/CMakeLists.txt (or, by build_for_gpu.sh, deferred to
# the end of the top level), so paths are absolute.
set(_gpu_dir ${PROJECT_SOURCE_DIR}/tools/gpu)
add_executable(gpu_backend_check
  ${_gpu_dir}/gpu_backend_check.cpp
  ${_gpu_dir}/gpu_check_util.cpp
  ${_gpu_dir}/gpu_op_checks.cpp
  ${_gpu_dir}/gpu_attention_check.cpp
  ${_gpu_dir}/gpu_e2e_check.cpp)
target_link_libraries(gpu_backend_check PRIVATE selfens_engine nlohmann_json::nlohmann_json)
target_include_directories(gpu_backend_check PRIVATE ${_gpu_dir})
# gpu_launch_overhead: host cost of launches, cublasLt calls and CUDA graphs;
# device time of the decode GEMM shapes.
add_executable(gpu_launch_overhead ${_gpu_dir}/launch_overhead.cu)
target_link_libraries(gpu_launch_overhead PRIVATE selfens_util CUDA::cublas CUDA::cublasLt
                      CUDA::cudart_static)
set_target_properties(gpu_launch_overhead PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
# gpu_gemm_algos: cublasLt's candidate algorithms for the engine's GEMM
# shapes, timed, each output compared bit for bit with the first candidate's.
add_executable(gpu_gemm_algos ${_gpu_dir}/gemm_algos.cu)
target_link_libraries(gpu_gemm_algos PRIVATE selfens_util CUDA::cublas CUDA::cublasLt CUDA::cudart_static)
set_target_properties(gpu_gemm_algos PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
# gpu_fp8_gemm_probe: which fp8 products (scaling, output type, fast
# accumulation) cublasLt offers on the card, timed next to the bf16 one.
add_executable(gpu_fp8_gemm_probe ${_gpu_dir}/fp8_gemm_probe.cu)
target_link_libraries(gpu_fp8_gemm_probe PRIVATE selfens_util CUDA::cublas CUDA::cublasLt CUDA::cudart_static)
set_target_properties(gpu_fp8_gemm_probe PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
