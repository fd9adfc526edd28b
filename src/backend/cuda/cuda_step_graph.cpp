// CudaBackend: metadata uploads through fixed buffers, and CUDA graphs of
// whole forward calls (see cuda_backend_impl.h for the scheme).
#include <algorithm>
#include <cstring>

#include "backend/cuda/cuda_backend_impl.h"
#include "backend/cuda/cuda_check.h"
#include "util/check.h"

namespace selfens::cuda {

namespace {

constexpr size_t kUploadAlign = 256;
constexpr size_t kMaxGraphs = 64;  // recorded shapes kept (all dropped when more)
// A shape is recorded on its third call: the first ran eagerly (buffers,
// scratch and GEMM plans have their sizes, so recording needs no
// allocation), and a shape seen twice is likely to recur. Recording costs
// about as much again as an eager call; batches that shrink every step (as
// answers end) repeat few shapes.
constexpr int kCaptureAfter = 3;

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

}  // namespace

void CudaBackend::sync() {
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  graphs_.landed();
  for (UploadBuffer& u : uploads_) u.copy_pending = false;
}

// --- uploads ---

void CudaBackend::reserve_upload(Upload kind, size_t bytes) {
  UploadBuffer& u = uploads_[size_t(kind)];
  if (bytes <= u.capacity) return;
  SELFENS_CHECK(!graphs_.recording(), "CUDA graph: upload buffer grown while recording");
  sync();               // queued copies and kernels may still use the old buffers
  invalidate_graphs();  // graphs hold their addresses
  CUDA_CHECK(cudaFreeHost(u.host));
  CUDA_CHECK(cudaFree(u.dev));
  u.host = u.dev = nullptr;
  u.capacity = (std::max(bytes, 2 * u.capacity) + kUploadAlign - 1) / kUploadAlign * kUploadAlign;
  CUDA_CHECK(cudaMallocHost(&u.host, u.capacity));
  u.dev = static_cast<char*>(device_malloc(u.capacity, device_desc_));
  u.cached = false;
  if (u.copied == nullptr) CUDA_CHECK(cudaEventCreateWithFlags(&u.copied, cudaEventDisableTiming));
}

const void* CudaBackend::upload(Upload kind, const void* data, size_t bytes) {
  UploadBuffer& u = uploads_[size_t(kind)];
  if (u.cached && u.bytes.size() == bytes &&
      (bytes == 0 || std::memcmp(u.bytes.data(), data, bytes) == 0))
    return u.dev;
  reserve_upload(kind, std::max<size_t>(bytes, 1));
  // The pinned buffer may still be the source of a queued copy.
  if (u.in_graph && graphs_.in_flight()) sync();
  if (u.copy_pending) {
    CUDA_CHECK(cudaEventSynchronize(u.copied));
    u.copy_pending = false;
  }
  if (bytes > 0) std::memcpy(u.host, data, bytes);
  switch (graphs_.mode()) {
    case GraphMode::kEager:
      if (bytes > 0) {
        CUDA_CHECK(cudaMemcpyAsync(u.dev, u.host, bytes, cudaMemcpyHostToDevice, stream_));
        CUDA_CHECK(cudaEventRecord(u.copied, stream_));
        u.copy_pending = true;
      }
      break;
    case GraphMode::kCapture:
      // Recorded as a copy of the whole buffer: a replay's uploads may be
      // of other sizes (they write the same pinned buffer).
      CUDA_CHECK(cudaMemcpyAsync(u.dev, u.host, u.capacity, cudaMemcpyHostToDevice, stream_));
      u.in_graph = true;
      break;
    case GraphMode::kReplay:  // the graph's copy node moves it
      u.in_graph = true;
      break;
  }
  u.bytes.assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
  u.cached = true;
  return u.dev;
}

// --- forward calls ---

void CudaBackend::prepare_step(std::span<const int32_t> tokens, std::span<const int32_t> positions,
                               std::span<const KvSlot> slots, const AttentionBatch& plan,
                               std::span<const int32_t> logit_rows) {
  auto prof_scope = prof("prepare_step");
  if (graphs_.recording()) abort_capture();  // the last call ended in an error
  weight_uploader_.reset();  // the weights are up: free its pinned buffers
  if (fp8_staging_ != nullptr) {  // and the staging of fp8 weights (after their quantization)
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    CUDA_CHECK(cudaFree(fp8_staging_));
    fp8_staging_ = nullptr;
    fp8_staging_bytes_ = 0;
  }
  const int64_t n = int64_t(positions.size());
  SELFENS_CHECK(int64_t(tokens.size()) == n && int64_t(slots.size()) == n,
                "prepare_step: tokens, positions and slots differ in length");
  check_slots(slots);
  shadow_of_ = nullptr;  // every call starts from the same state (graphs replay it)
  packed_ = PackedAttention{};
  if (prepared_heads_ > 0 && prepared_heads_ % kv_shape_.n_kv_heads == 0)
    packed_ = pack_attention(plan, n, prepared_heads_);

  // Capacity first (growing syncs, which a capture must not do).
  reserve_upload(kTokens, tokens.size_bytes());
  reserve_upload(kPositions, positions.size_bytes());
  reserve_upload(kSlots, slots.size_bytes());
  reserve_upload(kRows, logit_rows.size_bytes());
  if (packed_.source != nullptr) reserve_upload(kPlan, plan_bytes_.size());
  uint64_t key = 0;
  if (graphs_.enabled() && packed_.n_tiles > 0) {
    for (uint64_t v : {uint64_t(n), uint64_t(logit_rows.size()), uint64_t(packed_.n_tiles),
                       uint64_t(packed_.max_tile_rows), uint64_t(packed_.n_cascade_tiles),
                       uint64_t(packed_.max_rows_cascade), uint64_t(packed_.n_parts > 0),
                       uint64_t(packed_.n_entries), uint64_t(weight_dtype_)})
      key = mix(key, v);
    key |= 1;  // never 0
  }
  begin_graph_mode(key);
  upload(kTokens, tokens.data(), tokens.size_bytes());
  upload(kPositions, positions.data(), positions.size_bytes());
  upload(kSlots, slots.data(), slots.size_bytes());
  upload(kRows, logit_rows.data(), logit_rows.size_bytes());
  if (packed_.source != nullptr) upload_attention(packed_);
}

void CudaBackend::begin_graph_mode(uint64_t key) {
  const GraphMode mode = graphs_.decide(key);
  if (mode == GraphMode::kEager) return;
  if (graphs_.in_flight() || mode == GraphMode::kCapture) sync();
  // Every kind's first upload of the call must write its pinned buffer (and,
  // capturing, record its copy): forget what was uploaded before.
  for (UploadBuffer& u : uploads_) u.cached = false;
  graphs_.start(mode, key, stream_);
}

bool CudaBackend::record_op(Op op, std::initializer_list<uint64_t> args) {
  return graphs_.record(op, args);
}

void CudaBackend::finish_step() { graphs_.finish(stream_); }

void CudaBackend::abort_capture() {
  graphs_.abort(stream_);
  for (UploadBuffer& u : uploads_) u.cached = false;
}

void CudaBackend::invalidate_graphs() {
  if (graphs_.in_flight()) sync();
  graphs_.clear();
}

// --- StepGraphRecorder ---

StepGraphRecorder::~StepGraphRecorder() {
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
}

GraphMode StepGraphRecorder::decide(uint64_t key) {
  mode_ = GraphMode::kEager;
  key_ = key;
  if (key == 0) {
    ++calls_[0];
    return GraphMode::kEager;
  }
  GraphMode mode = GraphMode::kEager;
  if (graphs_.count(key) != 0)
    mode = GraphMode::kReplay;
  else if (++keys_seen_[key] >= kCaptureAfter)
    mode = GraphMode::kCapture;
  ++calls_[size_t(mode)];
  return mode;
}

void StepGraphRecorder::start(GraphMode mode, uint64_t key, cudaStream_t stream) {
  key_ = key;
  ops_hash_ = key;
  mode_ = mode;
  if (mode == GraphMode::kCapture)
    CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed));
}

bool StepGraphRecorder::record(Op op, std::initializer_list<uint64_t> args) {
  if (mode_ == GraphMode::kEager) return true;
  ops_hash_ = mix(ops_hash_, uint64_t(op));
  for (uint64_t a : args) ops_hash_ = mix(ops_hash_, a);
  return mode_ == GraphMode::kCapture;
}

void StepGraphRecorder::finish(cudaStream_t stream) {
  if (mode_ == GraphMode::kEager) return;
  const GraphMode mode = mode_;
  mode_ = GraphMode::kEager;
  if (mode == GraphMode::kCapture) {
    cudaGraph_t graph = nullptr;
    CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
    StepGraph g;
    g.ops_hash = ops_hash_;
    const cudaError_t err = cudaGraphInstantiate(&g.exec, graph, 0);
    cudaGraphDestroy(graph);
    CUDA_CHECK(err);
    if (graphs_.size() >= kMaxGraphs) {
      if (in_flight_) CUDA_CHECK(cudaStreamSynchronize(stream));
      in_flight_ = false;
      clear();
    }
    graphs_[key_] = g;
  }
  const StepGraph& g = graphs_.at(key_);
  SELFENS_CHECK(g.ops_hash == ops_hash_,
                "CUDA graph replay: the forward call's ops differ from the "
                "recorded ones");
  CUDA_CHECK(cudaGraphLaunch(g.exec, stream));
  in_flight_ = true;
}

void StepGraphRecorder::abort(cudaStream_t stream) {
  if (mode_ == GraphMode::kCapture) {
    cudaGraph_t graph = nullptr;
    cudaStreamEndCapture(stream, &graph);  // invalid after an error: discard either way
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();
  }
  mode_ = GraphMode::kEager;
}

void StepGraphRecorder::clear() {
  SELFENS_CHECK(mode_ == GraphMode::kEager, "CUDA graph: invalidated while recording");
  SELFENS_CHECK(!in_flight_, "CUDA graph: invalidated while one may still run");
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
  graphs_.clear();
  keys_seen_.clear();
}

}  // namespace selfens::cuda
