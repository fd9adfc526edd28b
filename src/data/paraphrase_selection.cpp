#include "data/paraphrase_selection.h"

#include <limits>

#include "util/check.h"
#include "util/log.h"
#include "util/python_random.h"

namespace selfens::data {
namespace {

std::vector<int> iota(int begin, int count) {
  std::vector<int> v;
  for (int i = 0; i < count; ++i) v.push_back(begin + i);
  return v;
}

// Picks `k` of `from` in CPython's random.sample order.
std::vector<int> sample_of(PythonRandom& rng, const std::vector<int>& from, int k) {
  std::vector<int> out;
  for (uint64_t i : rng.sample(from.size(), uint64_t(k))) out.push_back(from[i]);
  return out;
}

std::vector<int> pool_indices(const Question& q, const PoolSpec& p) {
  const int size = static_cast<int>(q.paraphrases.size());
  const int manual_slots = std::min(kManualSlots, size);
  const int auto_slots = size - manual_slots;
  int manual = p.manual, autos = p.autos;
  if (manual > manual_slots || autos > auto_slots) {
    SELFENS_REQUIRE(p.allow_short,
                    "question " + q.uuid + " has " + std::to_string(manual_slots) + " manual and " +
                        std::to_string(auto_slots) + " auto templates; the pool m" +
                        std::to_string(p.manual) + "a" + std::to_string(p.autos) +
                        " needs more (--allow_short_pools takes what it has)");
    manual = std::min(manual, manual_slots);
    autos = std::min(autos, auto_slots);
  }
  const int samples = std::min(p.samples, manual + autos);
  SELFENS_REQUIRE(samples >= 1, "question " + q.uuid + " has no paraphrase for the pool m" +
                                    std::to_string(p.manual) + "a" + std::to_string(p.autos));
  if (p.order == PoolOrder::kFirst) {
    std::vector<int> pool = iota(0, manual);
    for (int i : iota(manual_slots, autos)) pool.push_back(i);
    pool.resize(size_t(samples));
    return pool;
  }
  PythonRandom rng(q.uuid + ":" + std::to_string(p.seed));
  std::vector<int> pool = sample_of(rng, iota(0, manual_slots), manual);
  for (int i : sample_of(rng, iota(manual_slots, auto_slots), autos)) pool.push_back(i);
  return sample_of(rng, pool, samples);
}

// Ordered selections of k of n items: n! / (n - k)! (InputError past 2^63).
uint64_t permutations(int n, int k, const std::string& uuid) {
  uint64_t count = 1;
  for (int i = 0; i < k; ++i) {
    const uint64_t f = uint64_t(n - i);
    SELFENS_REQUIRE(count <= (uint64_t{1} << 63) / f,
                    "question " + uuid + ": too many ordered selections of " + std::to_string(k) +
                        " of " + std::to_string(n) + " paraphrases to sample from");
    count *= f;
  }
  return count;
}

// The rank-th k-permutation of 0..n-1 in itertools.permutations order.
std::vector<int> permutation_at(int n, int k, uint64_t rank) {
  std::vector<int> left = iota(0, n);
  std::vector<int> out;
  for (int pos = 0; pos < k; ++pos) {
    uint64_t block = 1;  // selections of the remaining positions
    for (int i = 0; i < k - pos - 1; ++i) block *= uint64_t(n - pos - 1 - i);
    const size_t d = size_t(rank / block);
    rank %= block;
    out.push_back(left[d]);
    left.erase(left.begin() + static_cast<std::ptrdiff_t>(d));
  }
  return out;
}

std::vector<Ask> synced_asks(const Question& q, int n, const SyncedSpec& s) {
  const int size = static_cast<int>(q.paraphrases.size());
  SELFENS_REQUIRE(s.repeat || size >= n, "question " + q.uuid + " has " + std::to_string(size) +
                                             " paraphrases; synced samples of " +
                                             std::to_string(n) + " need at least that many");
  const uint64_t population = s.repeat ? uint64_t(size) : permutations(size, n, q.uuid);
  const uint64_t k = std::min<uint64_t>(uint64_t(s.samples), population);
  PythonRandom rng{std::string_view(q.uuid)};
  std::vector<Ask> asks;
  for (uint64_t pick : rng.sample(population, k)) {
    Ask a;
    a.sample = static_cast<int>(asks.size());
    a.indices = s.repeat ? std::vector<int>(size_t(n), static_cast<int>(pick))
                         : permutation_at(size, n, pick);
    asks.push_back(std::move(a));
  }
  return asks;
}

}  // namespace

PoolOrder parse_pool_order(const std::string& s) {
  if (s == "draw") return PoolOrder::kDraw;
  if (s == "first") return PoolOrder::kFirst;
  throw InputError("--pool_order: unknown value '" + s + "' (draw | first)");
}

std::string pool_order_name(PoolOrder o) { return o == PoolOrder::kDraw ? "draw" : "first"; }

int ParaphraseSelection::views() const {
  if (pool) return pool->samples;
  return indexs.empty() ? n : static_cast<int>(indexs.size());
}

std::string ParaphraseSelection::file_tag() const {
  if (pool)
    return "m" + std::to_string(pool->manual) + "a" + std::to_string(pool->autos) + "s" +
           std::to_string(pool->samples);
  if (synced)
    return std::to_string(n) + "paras-" + std::to_string(synced->samples) + "samples" +
           (synced->repeat ? "-repeat" : "");
  return "";
}

std::string ParaphraseSelection::identity() const {
  if (pool)
    return "pool " + file_tag() + " order=" + pool_order_name(pool->order) +
           " seed=" + std::to_string(pool->seed) + (pool->allow_short ? " allow_short" : "");
  if (synced) return "synced " + file_tag();
  return "";
}

ParaphraseSelection checked_selection(ParaphraseSelection s, const Dataset& ds) {
  SELFENS_REQUIRE(!(s.pool && s.synced),
                  "generate: --synced_samples cannot be combined with a pool "
                  "(--num_manual/--num_auto/--num_samples)");
  SELFENS_REQUIRE(s.indexs.empty() || (!s.pool && !s.synced),
                  "generate: --indexs cannot be combined with pools or synced samples");
  if (s.synced) {
    SELFENS_REQUIRE(s.synced->samples >= 1, "generate: --synced_samples must be at least 1, got " +
                                                std::to_string(s.synced->samples));
    SELFENS_REQUIRE(s.n >= 1, "generate: --num_paraphrases must be at least 1");
  }
  if (!s.pool) return s;
  PoolSpec& p = *s.pool;
  SELFENS_REQUIRE(p.manual >= 0 && p.autos >= 0 && p.samples >= 0,
                  "generate: --num_manual, --num_auto and --num_samples must be non-negative (got m" +
                      std::to_string(p.manual) + "a" + std::to_string(p.autos) + "s" +
                      std::to_string(p.samples) + ")");
  SELFENS_REQUIRE(p.samples >= 1, "generate: --num_samples must be at least 1");
  SELFENS_REQUIRE(p.samples <= p.manual + p.autos,
                  "generate: --num_samples (" + std::to_string(p.samples) +
                      ") cannot exceed --num_manual + --num_auto (" +
                      std::to_string(p.manual + p.autos) + ")");
  SELFENS_REQUIRE(ds.manual_slots > 0,
                  "generate: data set '" + ds.name +
                      "' has no manual/auto templates; paraphrase pools (--num_manual, --num_auto, "
                      "--num_samples) need MyriadLAMA");
  if (p.manual > ds.manual_slots) {
    log::warn("--num_manual " + std::to_string(p.manual) + " is more than the " +
              std::to_string(ds.manual_slots) + " manual slots; capping at " +
              std::to_string(ds.manual_slots));
    p.manual = ds.manual_slots;
    SELFENS_REQUIRE(p.samples <= p.manual + p.autos,
                    "generate: --num_samples (" + std::to_string(p.samples) +
                        ") cannot exceed --num_manual + --num_auto once capped (" +
                        std::to_string(p.manual + p.autos) + ")");
  }
  return s;
}

std::vector<Ask> asks_of(const Question& q, const ParaphraseSelection& s) {
  if (s.synced) return synced_asks(q, s.n, *s.synced);
  Ask a;
  if (s.pool) {
    a.indices = pool_indices(q, *s.pool);
  } else if (!s.indexs.empty()) {
    const int size = static_cast<int>(q.paraphrases.size());
    for (int i : s.indexs)
      SELFENS_REQUIRE(i >= 0 && i < size, "question " + q.uuid + ": paraphrase index " +
                                              std::to_string(i) + " out of range (" +
                                              std::to_string(size) + " paraphrases)");
    a.indices = s.indexs;
  } else {
    SELFENS_REQUIRE(s.n >= 1, "number of paraphrases must be at least 1, got " + std::to_string(s.n));
    SELFENS_REQUIRE(s.n <= static_cast<int>(q.paraphrases.size()),
                    "question " + q.uuid + " has only " + std::to_string(q.paraphrases.size()) +
                        " paraphrases, " + std::to_string(s.n) + " requested");
    a.indices = iota(0, s.n);
  }
  return {a};
}

std::vector<std::string> ask_paraphrases(const Question& q, const Ask& a) {
  std::vector<std::string> out;
  for (int i : a.indices) out.push_back(q.paraphrases[size_t(i)]);
  return out;
}

}  // namespace selfens::data
