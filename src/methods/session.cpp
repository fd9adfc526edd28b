#include "methods/session.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "backend/backend.h"
#include "model/gguf.h"
#include "model/loader.h"
#include "model/resolve.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens {
namespace {

std::unique_ptr<Tokenizer> tokenizer_at(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    fs::path json = fs::path(path) / "tokenizer.json";
    SELFENS_REQUIRE(fs::exists(json), path + ": no tokenizer.json in the model directory");
    return Tokenizer::from_tokenizer_json(json.string());
  }
  GgufFile gguf(path);
  return Tokenizer::from_gguf(gguf);
}

}  // namespace

Session open_session(const std::string& name_or_path, const LoadOptions& options) {
  Session s;
  const auto start = std::chrono::steady_clock::now();
  auto model = std::make_shared<Model>(load_model(name_or_path, options));
  char took[64];
  std::snprintf(took, sizeof took, " in %.2f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  log::info("model " + model->path + " read" + took);
  s.tokenizer = tokenizer_at(model->path);
  s.model = std::move(model);
  return s;
}

std::unique_ptr<Tokenizer> open_tokenizer(const std::string& name_or_path) {
  return tokenizer_at(resolve_model_path(name_or_path));
}

LoadOptions load_options_for(const std::string& device, const std::vector<int>& split_devices) {
  DeviceMemory memory = device_memory(device);
  if (!split_devices.empty()) {
    memory.bytes = 0;
    memory.description = std::to_string(split_devices.size()) + " devices together";
    for (int d : split_devices) {
      const DeviceMemory m = device_memory(device, d);
      // CPU parts share one memory.
      memory.bytes = m.device == "cpu" ? m.bytes : memory.bytes + m.bytes;
    }
    memory.split_parts = int(split_devices.size());
  }
  return LoadOptions{.bf16_views = backend_keeps_bf16_weights(device), .device = memory};
}

}  // namespace selfens
