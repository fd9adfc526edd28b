#!/usr/bin/env bash
# Sourced by the GPU scripts with the binary as $1: puts the folder holding
# libcublas.so.13 on LD_LIBRARY_PATH when the binary's RUNPATH misses it.
# cuBLAS is linked dynamically (no static cuBLAS in the build toolkit): find
# libcublas.so.13 in the CUDA toolkit or in torch's nvidia wheels.
if ! ldd "$1" | grep -q "libcublas.so.13 => /"; then
  cands=$(ls -d /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu 2>/dev/null)
  py=$(python3 -c 'import site,sys; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)
  for sp in $py; do cands="$cands $sp/nvidia/cublas/lib $sp/nvidia/cu13/lib"; done
  for d in $cands; do
    if [[ -e "$d/libcublas.so.13" && -e "$d/libcublasLt.so.13" ]]; then
      export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      break
    fi
  done
fi
