#include "util/check.h"

#include <filesystem>

namespace selfens {

void throw_internal(const char* file, int line, const std::string& msg) {
  throw InternalError(std::filesystem::path(file).filename().string() + ":" +
                      std::to_string(line) + ": " + msg);
}

}  // namespace selfens
