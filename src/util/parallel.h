#pragma once
// Work split over short-lived threads, for one-off bulk jobs outside the
// CPU backend's pool: loading weights, rounding them for the GPU, drawing
// a step's sampled tokens on the host. Rethrows the first error.
#include <cstddef>
#include <functional>

namespace selfens {

// The hardware threads of this machine (at least 1): what "all cores" means.
int hardware_threads();

// body(begin, end) over [0, n) in contiguous parts of at least min_part
// items, on up to 16 threads (the hardware's count if fewer); the calling
// thread runs the first part.
void parallel_ranges(size_t n, size_t min_part, const std::function<void(size_t, size_t)>& body);

// fn(i) for every i in [0, n), one item per part at least.
void parallel_each(size_t n, const std::function<void(size_t)>& fn);

}  // namespace selfens
