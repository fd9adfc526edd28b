#pragma once
// Private parts of Engine shared by engine.cpp and forward.cpp.
#include "engine/engine.h"

#include <memory>

namespace selfens {

struct Engine::LayerTensors {
  Tensor attn_norm;        // [1, d]
  Tensor wq, wk, wv;       // [H*hd, d], [KVH*hd, d], [KVH*hd, d]
  Tensor bq, bk, bv;       // [1, out] or empty
  Tensor q_norm, k_norm;   // [1, hd] or empty (Qwen3)
  Tensor wo;               // [d, H*hd]
  Tensor ffn_norm;         // [1, d]
  Tensor w_gate, w_up;     // [ffn, d]
  Tensor w_down;           // [d, ffn]
};

// Activation buffers with room for `rows` batch rows and `logit_rows` output
// rows; ops use views of the first n rows.
struct Engine::Workspace {
  Backend* backend = nullptr;
  int64_t rows = 0, logit_rows = 0;
  Tensor x;       // [rows, d] residual stream
  Tensor h;       // [rows, d] normed input / projection output
  Tensor q;       // [rows, H*hd]
  Tensor k, v;    // [rows, KVH*hd]
  Tensor att;     // [rows, H*hd]
  Tensor gate;    // [rows, ffn]
  Tensor up;      // [rows, ffn]
  Tensor sel;     // [logit_rows, d] rows selected for logits
  Tensor logits;  // [logit_rows, vocab]

  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() { free_all(); }
  void free_all() {
    for (Tensor* t : {&x, &h, &q, &k, &v, &att, &gate, &up, &sel, &logits})
      if (!t->empty()) backend->release(*t);
  }
};

struct Engine::Part {
  std::unique_ptr<Backend> backend;
  LayerRange layers;
  std::unique_ptr<Workspace> ws;  // declared after the backend: released before it
};

}  // namespace selfens
