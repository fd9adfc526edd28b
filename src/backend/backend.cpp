#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"
#include "util/check.h"

namespace selfens {

std::unique_ptr<Backend> make_backend(const std::string& kind, int threads) {
  if (kind == "cpu") return std::make_unique<cpu::CpuBackend>(threads);
  SELFENS_REQUIRE(kind != "cuda", "backend: the CUDA backend is not available in this build");
  throw InputError("backend: unknown backend '" + kind + "' (expected cpu or cuda)");
}

}  // namespace selfens
