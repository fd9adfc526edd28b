#pragma once
// What CUDA devices this process can use. Compiled only when nvcc is present
// (SELFENS_HAVE_CUDA); callers check `cuda_available()` first.
#include <string>

namespace selfens::cuda {

// Number of CUDA devices (0 when the driver or a GPU is missing).
int device_count();
// "NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB" or the reason none is usable.
std::string describe_device(int device);
// Total memory of the device in bytes (0 when unknown).
long long device_memory_bytes(int device);

}  // namespace selfens::cuda
