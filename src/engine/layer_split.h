#pragma once
// Which decoder layers each device holds when one model is split over
// several (--split layers): contiguous ranges in device order, sized to each
// device's memory. The first device also holds the token embeddings, the
// last the final norm and the output projection (the embeddings again when
// they are tied and the split has more than one part).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/model.h"

namespace selfens {

struct LayerRange {
  int begin = 0, end = 0;  // layers [begin, end)
  int size() const { return end - begin; }
};

// Bytes of weights at `bytes_per_parameter` of one decoder layer, of the
// first part's extras (embeddings) and of the last part's (final norm and
// output projection).
struct SplitFootprint {
  int64_t layer = 0, first_extra = 0, last_extra = 0;
};
SplitFootprint split_footprint(const ModelConfig& config, int bytes_per_parameter, int parts);

// Ranges for devices of `capacity` bytes each (what weights may take there):
// every device gets at least one layer; layers go to the devices in
// proportion to their room after the extras. InputError naming the bytes
// needed and the devices' capacities when the weights do not fit.
std::vector<LayerRange> split_layers(const ModelConfig& config, int bytes_per_parameter,
                                     std::span<const int64_t> capacity);

// "0-13 | 14-27": the ranges, for the log line.
std::string describe_split(std::span<const LayerRange> ranges);

}  // namespace selfens
