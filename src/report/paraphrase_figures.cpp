#include "report/paraphrase_figures.h"

#include <algorithm>
#include <set>

#include "report/number_format.h"

namespace selfens::report {

namespace fs = std::filesystem;

namespace {

// Each question's per_prompt rows for paraphrases 0..n-1, in file order;
// questions missing one of them, or absent from a required file, are left out.
struct QuestionRows {
  std::string uuid;
  std::vector<size_t> rows;          // [n] rows of per_prompt
  std::vector<size_t> fused_rows;    // [files] row in each fused file
  std::optional<size_t> origin_row;
};

std::vector<QuestionRows> gather(const LoadedResult& pp, const LoadedResult* origin,
                                 const std::vector<const LoadedResult*>& fused, int n,
                                 const UuidSet* only) {
  const auto& ids = pp.table.utf8("uuid");
  const auto& idx = pp.table.int64("paraphrase_index");
  std::vector<std::string> order;
  std::unordered_map<std::string, std::vector<long>> rows;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (only && !only->count(ids[i])) continue;
    if (idx[i] < 0 || idx[i] >= n) continue;
    auto [it, fresh] = rows.try_emplace(ids[i], std::vector<long>(size_t(n), -1));
    if (fresh) order.push_back(ids[i]);
    it->second[size_t(idx[i])] = long(i);
  }
  std::vector<std::unordered_map<std::string, size_t>> fused_index;
  for (const LoadedResult* f : fused) fused_index.push_back(uuid_index(f->table));
  const auto origin_index = origin ? uuid_index(origin->table) : std::unordered_map<std::string, size_t>{};
  std::vector<QuestionRows> out;
  for (const std::string& uuid : order) {
    const std::vector<long>& r = rows[uuid];
    if (std::find(r.begin(), r.end(), -1L) != r.end()) continue;
    QuestionRows q{uuid, {}, {}, std::nullopt};
    for (long x : r) q.rows.push_back(size_t(x));
    bool everywhere = true;
    for (const auto& index : fused_index) {
      auto it = index.find(uuid);
      if (it == index.end()) { everywhere = false; break; }
      q.fused_rows.push_back(it->second);
    }
    if (!everywhere) continue;
    if (origin) {
      auto it = origin_index.find(uuid);
      if (it == origin_index.end()) continue;
      q.origin_row = it->second;
    }
    out.push_back(std::move(q));
  }
  return out;
}

double jaccard_distance(const eval::LemmaSeq& a, const eval::LemmaSeq& b) {
  const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  if (sa.empty() && sb.empty()) return 0.0;
  size_t common = 0;
  for (const std::string& w : sa) common += sb.count(w);
  return 1.0 - double(common) / double(sa.size() + sb.size() - common);
}

// Size of the largest group of equal lemma lists.
int largest_agreeing(const std::vector<const eval::LemmaSeq*>& preds) {
  int best = 0;
  for (size_t i = 0; i < preds.size(); ++i) {
    int same = 0;
    for (size_t j = 0; j < preds.size(); ++j) same += *preds[i] == *preds[j];
    best = std::max(best, same);
  }
  return best;
}

FactExample example(const LoadedResult& pp, const LoadedResult& f, const QuestionRows& q,
                    size_t file) {
  FactExample e;
  e.uuid = q.uuid;
  const size_t r0 = q.rows[0];
  if (pp.table.has("paraphrases") && !pp.table.list_utf8("paraphrases")[r0].empty())
    e.question = pp.table.list_utf8("paraphrases")[r0][0];
  e.gold = join(pp.table.list_utf8("answers")[r0]);
  e.fused_prediction = f.table.utf8("prediction")[q.fused_rows[file]];
  for (size_t r : q.rows) e.paraphrase_predictions.push_back(pp.table.utf8("prediction")[r]);
  return e;
}

void agreement(ParaphraseFigures& out, const LoadedResult& pp,
               const std::vector<const LoadedResult*>& fused, const std::vector<FusedFile>& files,
               const std::vector<QuestionRows>& qs) {
  const int n = out.n;
  std::map<int, AgreementBucket> buckets;
  std::map<int, std::map<std::string, size_t>> fused_right;
  double pair_sum = 0, dist_sum = 0;
  size_t consistent = 0;
  for (const QuestionRows& q : qs) {
    std::vector<const eval::LemmaSeq*> preds;
    for (size_t r : q.rows) preds.push_back(&pp.predict_lemmas[r]);
    const int g = largest_agreeing(preds);
    consistent += g == n;
    if (n >= 2) {
      size_t equal = 0, pairs = 0;
      double dist = 0;
      for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j, ++pairs) {
          equal += *preds[size_t(i)] == *preds[size_t(j)];
          dist += jaccard_distance(*preds[size_t(i)], *preds[size_t(j)]);
        }
      pair_sum += double(equal) / double(pairs);
      dist_sum += dist / double(pairs);
    } else {
      pair_sum += 1.0;
    }
    AgreementBucket& b = buckets[g];
    b.agreeing = g;
    ++b.questions;
    double right = 0;
    for (size_t r : q.rows) right += pp.correct[r];
    b.single_accuracy += right / double(n);
    for (size_t f = 0; f < fused.size(); ++f)
      fused_right[g][files[f].label] += fused[f]->correct[q.fused_rows[f]];
  }
  const double nq = double(std::max<size_t>(1, qs.size()));
  out.consistency = double(consistent) / nq;
  out.pairwise_agreement = pair_sum / nq;
  out.diversity = dist_sum / nq;
  for (auto& [g, b] : buckets) {
    b.single_accuracy /= double(b.questions);
    for (const auto& [label, right] : fused_right[g]) b.fused[label] = double(right) / double(b.questions);
    out.buckets.push_back(b);
  }
}

}  // namespace

ParaphraseFigures paraphrase_figures(ResultCache& cache, const fs::path& per_prompt,
                                     const fs::path& origin, const std::vector<FusedFile>& files,
                                     int n, const UuidSet* only, size_t examples) {
  ParaphraseFigures out;
  out.n = n;
  if (n < 1 || !fs::exists(per_prompt)) return out;
  const LoadedResult& pp = cache.get(per_prompt);
  const LoadedResult* org = fs::exists(origin) ? &cache.get(origin) : nullptr;
  std::vector<const LoadedResult*> fused;
  for (const FusedFile& f : files) fused.push_back(&cache.get(f.path));
  const std::vector<QuestionRows> qs = gather(pp, org, fused, n, only);
  if (qs.empty()) return out;
  out.present = true;
  out.questions = qs.size();
  const double nq = double(qs.size());

  out.per_index.assign(size_t(n), 0.0);
  std::vector<size_t> right_count(qs.size(), 0);
  for (size_t qi = 0; qi < qs.size(); ++qi)
    for (int k = 0; k < n; ++k) {
      const bool c = pp.correct[qs[qi].rows[size_t(k)]];
      out.per_index[size_t(k)] += c;
      right_count[qi] += c;
    }
  for (double& a : out.per_index) a /= nq;
  out.min = *std::min_element(out.per_index.begin(), out.per_index.end());
  out.max = *std::max_element(out.per_index.begin(), out.per_index.end());
  out.best_index = int(std::max_element(out.per_index.begin(), out.per_index.end()) - out.per_index.begin());
  for (double a : out.per_index) out.mean += a / double(n);
  if (org) {
    double right = 0;
    for (const QuestionRows& q : qs) right += org->correct[*q.origin_row];
    out.origin = right / nq;
  }
  for (int m = 1; m <= n; ++m) {
    OraclePoint p{m, 0, 0};
    for (const QuestionRows& q : qs) {
      bool any = false, all = true;
      for (int k = 0; k < m; ++k) {
        const bool c = pp.correct[q.rows[size_t(k)]];
        any |= c;
        all &= c;
      }
      p.any_right += any;
      p.all_right += all;
    }
    p.any_right /= nq;
    p.all_right /= nq;
    out.oracle.push_back(p);
  }
  for (size_t f = 0; f < files.size(); ++f) {
    FactChange fc;
    fc.label = files[f].label;
    fc.questions = qs.size();
    double right = 0;
    for (size_t qi = 0; qi < qs.size(); ++qi) {
      const bool c = fused[f]->correct[qs[qi].fused_rows[f]];
      right += c;
      if (c && right_count[qi] == 0) {
        ++fc.new_facts;
        if (fc.new_examples.size() < examples) fc.new_examples.push_back(example(pp, *fused[f], qs[qi], f));
      }
      if (!c && 2 * right_count[qi] > size_t(n)) {
        ++fc.lost_facts;
        if (fc.lost_examples.size() < examples) fc.lost_examples.push_back(example(pp, *fused[f], qs[qi], f));
      }
    }
    const double acc = right / nq;
    out.gains.push_back({files[f].label, acc, acc - out.mean, acc - out.max});
    out.facts.push_back(std::move(fc));
  }
  agreement(out, pp, fused, files, qs);
  return out;
}

}  // namespace selfens::report
