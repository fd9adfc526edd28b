// CPU paged KV store and span attention (online softmax over pages).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "util/check.h"

namespace selfens::cpu {

namespace {
constexpr int kMaxHeadDim = 512;
constexpr int kMaxPageSize = 256;
}  // namespace

void CpuBackend::init_kv(const KvShape& shape) {
  SELFENS_CHECK(shape.head_dim > 0 && shape.head_dim <= kMaxHeadDim, "head_dim out of range");
  SELFENS_CHECK(shape.page_size > 0 && shape.page_size <= kMaxPageSize, "page size out of range");
  kv_shape_ = shape;
  block_floats_ = size_t(shape.n_kv_heads) * shape.head_dim * shape.page_size;
  const size_t total = size_t(shape.n_layers) * size_t(shape.n_pages) * 2 * block_floats_;
  try {
    kv_.reset(new float[total]);  // left uninitialised: untouched pages cost no memory
  } catch (const std::bad_alloc&) {
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.1f", double(total) * sizeof(float) / 1073741824.0);
    throw InputError(std::string("out of memory allocating the KV cache (") + gib + " GiB, " +
                     std::to_string(shape.n_pages) + " pages of " +
                     std::to_string(shape.page_size) +
                     " tokens): lower --batch_size or --max_new_tokens");
  }
}

float* CpuBackend::k_block(int layer, int32_t page) const {
  return kv_.get() + ((size_t(layer) * size_t(kv_shape_.n_pages) + size_t(page)) * 2) *
                         block_floats_;
}

float* CpuBackend::v_block(int layer, int32_t page) const {
  return k_block(layer, page) + block_floats_;
}

void CpuBackend::write_kv(int layer, const Tensor& k, const Tensor& v,
                          std::span<const KvSlot> slots) {
  const int hd = kv_shape_.head_dim, ps = kv_shape_.page_size, kvh = kv_shape_.n_kv_heads;
  SELFENS_CHECK(k.cols == int64_t(kvh) * hd && v.cols == k.cols, "write_kv shapes");
  if (round_.kv) round_.check_range(k.f32(), slots.size() * size_t(k.cols), 1.0f, "K");
  for (size_t i = 0; i < slots.size(); ++i) {
    const KvSlot s = slots[i];
    SELFENS_CHECK(s.page >= 0 && s.page < kv_shape_.n_pages && s.offset < ps, "bad kv slot");
    float* kb = k_block(layer, s.page);
    float* vb = v_block(layer, s.page);
    const float* kr = k.f32() + i * k.cols;
    const float* vr = v.f32() + i * v.cols;
    for (int h = 0; h < kvh; ++h) {
      for (int d = 0; d < hd; ++d) kb[(size_t(h) * hd + d) * ps + s.offset] = kr[h * hd + d];
      std::memcpy(vb + (size_t(h) * ps + s.offset) * hd, vr + h * hd, sizeof(float) * hd);
      if (!round_.kv) continue;
      for (int d = 0; d < hd; ++d) {
        float& kd = kb[(size_t(h) * hd + d) * ps + s.offset];
        kd = round_(kd);
      }
      round_.apply(vb + (size_t(h) * ps + s.offset) * hd, size_t(hd), "V");
    }
  }
}

void CpuBackend::read_kv(int layer, std::span<const KvSlot> slots, std::span<float> k,
                         std::span<float> v) {
  const int hd = kv_shape_.head_dim, ps = kv_shape_.page_size, kvh = kv_shape_.n_kv_heads;
  const size_t row = size_t(kvh) * hd;
  SELFENS_CHECK(k.size() == slots.size() * row && v.size() == k.size(), "read_kv sizes");
  for (size_t i = 0; i < slots.size(); ++i) {
    const KvSlot s = slots[i];
    const float* kb = k_block(layer, s.page);
    const float* vb = v_block(layer, s.page);
    for (int h = 0; h < kvh; ++h) {
      for (int d = 0; d < hd; ++d)
        k[i * row + size_t(h) * hd + d] = kb[(size_t(h) * hd + d) * ps + s.offset];
      std::memcpy(&v[i * row + size_t(h) * hd], vb + (size_t(h) * ps + s.offset) * hd,
                  sizeof(float) * hd);
    }
  }
}

void CpuBackend::attend_one(int layer, const float* q, int kv_head, const AttentionBatch& plan,
                            const AttnGroup& group, int32_t self_limit, float* out) const {
  const int hd = kv_shape_.head_dim, ps = kv_shape_.page_size;
  float acc[kMaxHeadDim];
  float s[kMaxPageSize];
  // Round16 q: the query scaled first and rounded, as the tensor-core kernel
  // reads it; the scores then take only the segment's scale.
  float q_rounded[kMaxHeadDim];
  float q_scale = plan.scale;
  if (round_.q) {
    for (int d = 0; d < hd; ++d) q_rounded[d] = round_(q[d] * plan.scale);
    q = q_rounded;
    q_scale = 1.0f;
  }
  std::fill(acc, acc + hd, 0.0f);
  float m = -std::numeric_limits<float>::infinity();
  float l = 0.0f;
  for (int32_t si = group.seg_begin; si < group.seg_end; ++si) {
    const AttnSegment& seg = plan.segments[size_t(si)];
    const int32_t n = si + 1 == group.seg_end ? self_limit : seg.n_tokens;
    for (int32_t p = 0; p * ps < n; ++p) {
      const int32_t page = plan.pages[size_t(seg.page_begin + p)];
      const int cnt = std::min(ps, n - p * ps);
      const float* kt = k_block(layer, page) + size_t(kv_head) * hd * ps;  // [hd][ps]
      const float* vb = v_block(layer, page) + size_t(kv_head) * ps * hd;  // [ps][hd]
      std::fill(s, s + cnt, 0.0f);
      for (int d = 0; d < hd; ++d) {
        const float qd = q[d];
        const float* kd = kt + size_t(d) * ps;
        for (int j = 0; j < cnt; ++j) s[j] += qd * kd[j];
      }
      float bm = m;
      for (int j = 0; j < cnt; ++j) {
        s[j] = s[j] * (q_scale * seg.scale) + seg.bias;
        bm = std::max(bm, s[j]);
      }
      const float corr = std::exp(m - bm);  // 0 on the first block (m = -inf)
      l *= corr;
      for (int d = 0; d < hd; ++d) acc[d] *= corr;
      for (int j = 0; j < cnt; ++j) {
        const float e = std::exp(s[j] - bm);
        l += e;
        const float pe = round_.p ? round_(e) : e;  // Round16 p: the weight V is multiplied by
        const float* vj = vb + size_t(j) * hd;
        for (int d = 0; d < hd; ++d) acc[d] += pe * vj[d];
      }
      m = bm;
    }
  }
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;
  for (int d = 0; d < hd; ++d) out[d] = acc[d] * inv;
}

void CpuBackend::attention(int layer, const Tensor& q, int n_heads, const AttentionBatch& plan,
                           Tensor& out) {
  const int hd = kv_shape_.head_dim;
  SELFENS_CHECK(q.cols == int64_t(n_heads) * hd && out.cols == q.cols, "attention shapes");
  SELFENS_CHECK(n_heads % kv_shape_.n_kv_heads == 0, "GQA head ratio");
  const int group_size = n_heads / kv_shape_.n_kv_heads;
  // Round16 q rounds in the workers (attend_one); the range is checked here.
  if (round_.q)
    for (int64_t r : plan.rows)
      round_.check_range(q.f32() + r * q.cols, size_t(q.cols), plan.scale, "the scaled queries");
  // Entry e of plan.rows -> its group.
  std::vector<int32_t> group_of(plan.rows.size());
  for (size_t g = 0; g < plan.groups.size(); ++g)
    for (int32_t e = plan.groups[g].row_begin; e < plan.groups[g].row_end; ++e)
      group_of[size_t(e)] = int32_t(g);
  const int64_t items = int64_t(plan.rows.size()) * n_heads;
  pool_.parallel_for(items, [&](int64_t b, int64_t e) {
    for (int64_t it = b; it < e; ++it) {
      const size_t entry = size_t(it / n_heads);
      const int h = int(it % n_heads);
      const int64_t row = plan.rows[entry];
      attend_one(layer, q.f32() + row * q.cols + int64_t(h) * hd, h / group_size, plan,
                 plan.groups[size_t(group_of[entry])], plan.self_limit[entry],
                 out.f32() + row * out.cols + int64_t(h) * hd);
    }
  });
}

}  // namespace selfens::cpu
