#include "report/result_cache.h"

namespace selfens::report {

const LoadedResult& ResultCache::get(const std::filesystem::path& path) {
  auto it = loaded_.find(path.string());
  if (it != loaded_.end()) return it->second;
  LoadedResult l{io::read_feather(path), {}, {}};
  TableLemmas lemmas = table_lemmas(l.table, lemmas_);
  l.correct = row_correctness(lemmas);
  l.predict_lemmas = std::move(lemmas.predict);
  return loaded_.emplace(path.string(), std::move(l)).first->second;
}

std::unordered_map<std::string, size_t> uuid_index(const io::Table& t) {
  std::unordered_map<std::string, size_t> m;
  const auto& ids = t.utf8("uuid");
  for (size_t i = 0; i < ids.size(); ++i) m.emplace(ids[i], i);
  return m;
}

UuidSet shared_uuids(const std::vector<const LoadedResult*>& files) {
  UuidSet shared;
  for (size_t f = 0; f < files.size(); ++f) {
    const auto index = uuid_index(files[f]->table);
    if (f == 0) {
      for (const auto& [u, i] : index) shared.insert(u);
      continue;
    }
    for (auto it = shared.begin(); it != shared.end();)
      it = index.count(*it) ? std::next(it) : shared.erase(it);
  }
  return shared;
}

}  // namespace selfens::report
