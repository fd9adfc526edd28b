#include "backend/round16.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <utility>

#include "model/dequant.h"
#include "util/check.h"

namespace selfens {

namespace {

// Each part's name and member, in the order describe() lists them.
constexpr std::array<std::pair<const char*, bool Round16::*>, 7> kParts{{
    {"weights", &Round16::weights},
    {"table", &Round16::table},
    {"inputs", &Round16::inputs},
    {"head", &Round16::head},
    {"kv", &Round16::kv},
    {"q", &Round16::q},
    {"p", &Round16::p},
}};

std::string part_names() {
  std::string s;
  for (const auto& [name, member] : kParts) s += (s.empty() ? "" : ", ") + std::string(name);
  return s;
}

}  // namespace

float Round16::operator()(float x) const {
  switch (type) {
    case Type::kBf16: return bf16_to_fp32(fp32_to_bf16(x));
    case Type::kFp16: return fp16_to_fp32(fp32_to_fp16(x));
    case Type::kNone: break;
  }
  return x;
}

void Round16::apply(float* x, size_t n, const char* part) const {
  if (!active()) return;
  check_range(x, n, 1.0f, part);
  for (size_t i = 0; i < n; ++i) x[i] = (*this)(x[i]);
}

void Round16::check_range(const float* x, size_t n, float scale, const char* part) const {
  if (type != Type::kFp16) return;
  constexpr float kFp16Max = 65504.0f;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i] * scale;
    // Values that round to 65504 stay finite; beyond the midpoint to the next step, infinity.
    if (std::isfinite(v) && std::isinf((*this)(v)))
      throw InputError("SELFENS_CPU_ROUND16=fp16: a value of " + std::string(part) + " (" +
                       std::to_string(v) + ") is beyond fp16's range (" +
                       std::to_string(int(kFp16Max)) + "); this model needs bf16");
  }
}

std::string Round16::describe() const {
  if (!active()) return "";
  std::string s = type == Type::kBf16 ? "bf16 at " : "fp16 at ";
  bool first = true;
  for (const auto& [name, member] : kParts) {
    if (!(this->*member)) continue;
    s += (first ? "" : ",") + std::string(name);
    first = false;
  }
  return first ? s + "nothing" : s;
}

Round16 parse_round16(const std::string& type, const std::string& parts) {
  Round16 r;
  if (type.empty()) return r;
  if (type == "bf16") r.type = Round16::Type::kBf16;
  else if (type == "fp16") r.type = Round16::Type::kFp16;
  else throw InputError("SELFENS_CPU_ROUND16: expected bf16 or fp16, got '" + type + "'");
  if (parts.empty() || parts == "all") {
    for (const auto& [name, member] : kParts) r.*member = true;
    return r;
  }
  if (parts == "none") return r;  // the fp32 product path's own noise (see CpuBackend::upload_host)
  std::string list = parts;  // '+' separates too: the GPU scripts split their settings at ','
  std::replace(list.begin(), list.end(), '+', ',');
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    bool found = false;
    for (const auto& [name, member] : kParts)
      if (part == name) r.*member = found = true;
    if (!found)
      throw InputError("SELFENS_CPU_ROUND16_AT: unknown part '" + part + "' (expected all, none or " +
                       part_names() + ")");
  }
  return r;
}

}  // namespace selfens
