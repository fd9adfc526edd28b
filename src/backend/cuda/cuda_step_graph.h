#pragma once
// CUDA graphs of whole forward calls, for CudaBackend (private to
// backend/cuda). A forward call is keyed by its shape (rows, logit rows,
// attention tiles: the backend computes the key); a key seen kCaptureAfter
// times is captured into a graph, and later calls of the key replay it: their
// ops only fold their arguments into the call's op hash (checked against the
// captured one) and launch nothing, and finish() launches the graph (one
// launch instead of ~600).
//
// The recorder owns the graphs and the capture state; the backend owns the
// stream, the buffers a graph reads, and the synchronisation around them.
#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <unordered_map>

namespace selfens::cuda {

// The ops a forward call is made of, as folded into its op hash.
enum class Op : uint64_t {
  kEmbed = 1,
  kRmsNorm = 2,
  kMatmul = 3,
  kRope = 4,
  kSiluMul = 5,
  kAdd = 6,
  kGatherRows = 7,
  kWriteKv = 8,
  kAttention = 9,
  kAddRmsNorm = 10,
  kFeedForward = 11,
};

enum class GraphMode { kEager, kCapture, kReplay };

class StepGraphRecorder {
 public:
  explicit StepGraphRecorder(bool enabled) : enabled_(enabled) {}
  ~StepGraphRecorder();
  StepGraphRecorder(const StepGraphRecorder&) = delete;
  StepGraphRecorder& operator=(const StepGraphRecorder&) = delete;

  bool enabled() const { return enabled_; }
  void set_enabled(bool on) { enabled_ = on; }
  GraphMode mode() const { return mode_; }
  bool recording() const { return mode_ != GraphMode::kEager; }
  bool empty() const { return graphs_.empty(); }
  bool in_flight() const { return in_flight_; }
  void landed() { in_flight_ = false; }  // the stream was synchronized

  // The mode of a forward call with this key (0: never a graph); counts it.
  GraphMode decide(uint64_t key);
  // Starts that mode (the backend synchronized first when needed): capture
  // begins on `stream`.
  void start(GraphMode mode, uint64_t key, cudaStream_t stream);
  // Folds one op into the call's hash; false when the op must launch
  // nothing (replay).
  bool record(Op op, std::initializer_list<uint64_t> args);
  // Ends the call: a capture becomes a graph; a captured or replayed call's
  // graph is launched on `stream`.
  void finish(cudaStream_t stream);
  // Ends a capture that an error interrupted (its graph is discarded).
  void abort(cudaStream_t stream);
  // Destroys every graph (they hold buffer addresses that are about to
  // change); the backend synchronized first when one was in flight.
  void clear();
  // Forward calls run eagerly, captured and replayed.
  const std::array<int64_t, 3>& calls() const { return calls_; }

 private:
  struct StepGraph {
    cudaGraphExec_t exec = nullptr;
    uint64_t ops_hash = 0;  // the captured op sequence (checked on replay)
  };
  bool enabled_;
  GraphMode mode_ = GraphMode::kEager;
  uint64_t key_ = 0, ops_hash_ = 0;
  bool in_flight_ = false;
  std::array<int64_t, 3> calls_{};
  std::unordered_map<uint64_t, StepGraph> graphs_;
  std::unordered_map<uint64_t, int> keys_seen_;
};

}  // namespace selfens::cuda
