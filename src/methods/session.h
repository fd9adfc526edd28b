#pragma once
// A model and its tokenizer, opened by name or path (model/resolve.h).
#include <memory>
#include <string>
#include <vector>

#include "model/loader.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace selfens {

struct Session {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tokenizer;
};

// Loads weights and tokenizer. InputError for unknown names, bad files.
Session open_session(const std::string& name_or_path, const LoadOptions& options = {});
// The load options that suit `device` (auto, cpu, cuda, cuda-f32): a bf16
// device takes bf16 files' bytes as they are. split_devices (--split
// layers): the weights must fit those devices together.
LoadOptions load_options_for(const std::string& device, const std::vector<int>& split_devices = {});
// The tokenizer alone (no weights are read).
std::unique_ptr<Tokenizer> open_tokenizer(const std::string& name_or_path);

}  // namespace selfens
