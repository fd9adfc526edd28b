#include "methods/results.h"

namespace selfens {

io::Table rows_to_table(const std::vector<ResultRow>& rows, bool per_prompt,
                        const io::Metadata& metadata) {
  io::Strings uuid, prediction, generation;
  std::vector<io::Strings> answers, paraphrases, prompts;
  std::vector<int64_t> index;
  for (const auto& r : rows) {
    uuid.push_back(r.uuid);
    answers.push_back(r.answers);
    paraphrases.push_back(r.paraphrases);
    prompts.push_back(r.prompts);
    index.push_back(r.paraphrase_index);
    prediction.push_back(r.prediction);
    generation.push_back(r.generation);
  }
  io::Table t;
  t.set("uuid", std::move(uuid));
  t.set("answers", std::move(answers));
  t.set("paraphrases", std::move(paraphrases));
  t.set("prompts", std::move(prompts));
  if (per_prompt) t.set("paraphrase_index", std::move(index));
  t.set("prediction", std::move(prediction));
  t.set("generation", std::move(generation));
  t.metadata = metadata;
  return t;
}

std::vector<ResultRow> rows_from_table(const io::Table& table, bool per_prompt) {
  const auto& uuid = table.utf8("uuid");
  const auto& answers = table.list_utf8("answers");
  const auto& paraphrases = table.list_utf8("paraphrases");
  const auto& prompts = table.list_utf8("prompts");
  const auto& prediction = table.utf8("prediction");
  const auto& generation = table.utf8("generation");
  const std::vector<int64_t>* index = per_prompt ? &table.int64("paraphrase_index") : nullptr;
  std::vector<ResultRow> rows(table.num_rows());
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].uuid = uuid[i];
    rows[i].answers = answers[i];
    rows[i].paraphrases = paraphrases[i];
    rows[i].prompts = prompts[i];
    rows[i].paraphrase_index = index ? (*index)[i] : -1;
    rows[i].prediction = prediction[i];
    rows[i].generation = generation[i];
  }
  return rows;
}

}  // namespace selfens
