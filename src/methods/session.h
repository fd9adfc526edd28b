#pragma once
// A model and its tokenizer, opened by name or path (model/resolve.h).
#include <memory>
#include <string>

#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace selfens {

struct Session {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// Loads weights and tokenizer. InputError for unknown names, bad files.
Session open_session(const std::string& name_or_path);
// The tokenizer alone (no weights are read).
std::unique_ptr<Tokenizer> open_tokenizer(const std::string& name_or_path);

}  // namespace selfens
