#include "util/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace selfens::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;

void emit(Level at, const char* tag, const std::string& msg) {
  if (at < g_level.load()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "selfens: %s%s\n", tag, msg.c_str());
}
}  // namespace

void set_level(Level level) { g_level.store(level); }
Level level() { return g_level.load(); }
void debug(const std::string& msg) { emit(Level::kDebug, "debug: ", msg); }
void info(const std::string& msg) { emit(Level::kInfo, "", msg); }
void warn(const std::string& msg) { emit(Level::kWarn, "warning: ", msg); }
void error(const std::string& msg) { emit(Level::kError, "error: ", msg); }

}  // namespace selfens::log
