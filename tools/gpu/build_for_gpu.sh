#!/usr/bin/env bash
# Builds the CUDA (sm_90, Release) binaries for the GPU machine into
# build-gpu/ and copies them, stripped, to build-gpu/bin/: carry only that
# folder (the objects and static libraries beside it are large).
#
# Runtime dependencies are kept to what Ubuntu 24.04 has without extra
# packages, plus cuBLAS: the CUDA runtime is linked statically, OpenBLAS too
# (BLA_STATIC: Debian's libopenblas.a), as are ICU, lz4 and zstd. This
# toolkit has no static cuBLAS, so libcublas.so.13 / libcublasLt.so.13
# (~570 MB, too large to carry) come from the GPU machine's CUDA 13 toolkit
# or its torch wheels; RUNPATH names the usual toolkit folders and
# run_gpu_checks.sh searches further. The script fails when ldd shows any
# other library.
#
#   tools/gpu/build_for_gpu.sh [extra targets...]   (default: gpu_backend_check)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SELFENS_GPU_BUILD:-$root/build-gpu}
targets=(gpu_backend_check "$@")

extra=()
if ! grep -q "tools/gpu" "$root/CMakeLists.txt"; then
  # The top CMakeLists does not add tools/gpu (yet): add it from outside.
  extra+=("-DCMAKE_PROJECT_INCLUDE=$root/tools/gpu/defer_add.cmake")
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSELFENS_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DSELFENS_TESTS=OFF -DSELFENS_BENCH=OFF -DSELFENS_FUZZ=OFF -DSELFENS_PYTHON=OFF \
  -DBLA_STATIC=ON "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--enable-new-dtags,-rpath,/usr/local/cuda/lib64:/usr/local/cuda-13/lib64:/usr/local/cuda-13.0/lib64" \
  "${extra[@]}" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
grep -q "CUDA backend ON" "$build.configure.log" ||
  { echo "build_for_gpu: CMake did not enable CUDA (nvcc not found?)" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

mkdir -p "$build/bin"
for t in "${targets[@]}"; do
  exe=$(find "$build" -path "$build/bin" -prune -o -type f -name "$t" -perm -u+x -print | head -1)
  [[ -n "$exe" ]] || { echo "build_for_gpu: $t not built" >&2; exit 1; }
  strip -o "$build/bin/$t" "$exe"
  # Allowed: glibc, libstdc++/libgcc, the dynamic loader. Anything else may be
  # missing on the GPU machine.
  bad=$(ldd "$build/bin/$t" | grep -vE 'linux-vdso|ld-linux|lib(c|m|dl|rt|pthread|stdc\+\+|gcc_s|cublas|cublasLt)\.so' || true)
  if [[ -n "$bad" ]]; then
    echo "build_for_gpu: $t needs libraries the GPU machine may lack:" >&2
    echo "$bad" >&2
    exit 1
  fi
done
du -sh "$build/bin"
ls -la "$build/bin"
