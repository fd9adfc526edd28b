#include "engine/layer_split.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/footprint.h"
#include "util/check.h"

namespace selfens {

SplitFootprint split_footprint(const ModelConfig& c, int bytes_per_parameter, int parts) {
  const int64_t embeddings = int64_t{c.vocab_size} * c.hidden_size;
  SplitFootprint f;
  f.layer = layer_parameter_count(c) * bytes_per_parameter;
  f.first_extra = embeddings * bytes_per_parameter;
  // The output projection: its own matrix, or the embeddings again on
  // another device (tied: one copy when there is one part).
  const int64_t output = c.tie_word_embeddings && parts == 1 ? 0 : embeddings;
  f.last_extra = (output + c.hidden_size) * bytes_per_parameter;
  return f;
}

std::vector<LayerRange> split_layers(const ModelConfig& c, int bytes_per_parameter,
                                     std::span<const int64_t> capacity) {
  const int parts = int(capacity.size());
  SELFENS_CHECK(parts > 0, "split_layers: no device");
  const SplitFootprint f = split_footprint(c, bytes_per_parameter, parts);
  std::vector<int64_t> room(capacity.begin(), capacity.end());
  room.front() -= f.first_extra;
  room.back() -= f.last_extra;
  int64_t total_room = 0;
  for (int64_t r : room) total_room += std::max<int64_t>(r, 0);
  const int64_t need = f.layer * c.num_layers + f.first_extra + f.last_extra;
  int64_t have = 0;
  for (int64_t cap : capacity) have += cap;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  auto refuse = [&](const std::string& why) {
    char msg[256];
    std::snprintf(msg, sizeof msg,
                  "--split layers: the weights need %.1f GiB over %d device(s) with %.1f GiB for "
                  "weights in all; ",
                  double(need) / kGiB, parts, double(have) / kGiB);
    throw InputError(msg + why);
  };
  if (c.num_layers < parts)
    refuse(std::to_string(c.num_layers) + " layers cannot be split over " +
           std::to_string(parts) + " devices: list fewer");
  std::vector<LayerRange> ranges(static_cast<size_t>(parts));
  int next = 0;
  for (int i = 0; i < parts; ++i) {
    const int left = c.num_layers - next, later = parts - 1 - i;
    const int64_t fits = room[size_t(i)] > 0 ? room[size_t(i)] / f.layer : 0;
    int take = left - later;  // the last device takes what is left
    if (i + 1 < parts) {
      const double share = total_room > 0 ? double(std::max<int64_t>(room[size_t(i)], 0)) /
                                                double(total_room)
                                          : 1.0 / parts;
      take = std::clamp(int(std::lround(share * left)), 1, left - later);
      take = int(std::min<int64_t>(take, fits));
    }
    if (take < 1 || take > fits)
      refuse("device " + std::to_string(i) + " cannot hold its " +
             std::to_string(std::max(take, 1)) +
             " layer(s): use more or larger GPUs, or a smaller model");
    ranges[size_t(i)] = {next, next + take};
    next += take;
    total_room -= std::max<int64_t>(room[size_t(i)], 0);
  }
  return ranges;
}

std::string describe_split(std::span<const LayerRange> ranges) {
  std::string s;
  for (const LayerRange& r : ranges) {
    if (!s.empty()) s += " | ";
    s += std::to_string(r.begin) + "-" + std::to_string(r.end - 1);
  }
  return s;
}

}  // namespace selfens
