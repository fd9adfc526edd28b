#include "jobs/results.h"

#include "eval/match.h"
#include "io/csv.h"

namespace selfens {

io::Table rows_to_table(const std::vector<ResultRow>& rows, const ResultColumns& columns,
                        const io::Metadata& metadata) {
  io::Strings uuid, prediction, generation;
  std::vector<io::Strings> answers, paraphrases, prompts;
  std::vector<int64_t> index, sample;
  std::vector<std::vector<int64_t>> indices;
  std::vector<double> margin;
  for (const auto& r : rows) {
    margin.push_back(r.margin);
    uuid.push_back(r.uuid);
    answers.push_back(r.answers);
    paraphrases.push_back(r.paraphrases);
    prompts.push_back(r.prompts);
    index.push_back(r.paraphrase_index);
    indices.push_back(r.paraphrase_indices);
    sample.push_back(r.sample_index);
    prediction.push_back(r.prediction);
    generation.push_back(r.generation);
  }
  io::Table t;
  t.set("uuid", std::move(uuid));
  if (columns.sample_index) t.set("sample_index", std::move(sample));
  t.set("answers", std::move(answers));
  t.set("paraphrases", std::move(paraphrases));
  t.set("prompts", std::move(prompts));
  if (columns.paraphrase_index) t.set("paraphrase_index", std::move(index));
  if (columns.paraphrase_indices) t.set("paraphrase_indices", std::move(indices));
  t.set("prediction", std::move(prediction));
  t.set("generation", std::move(generation));
  if (columns.margin) t.set("margin", std::move(margin));
  t.metadata = metadata;
  return t;
}

std::vector<ResultRow> rows_from_table(const io::Table& table, const ResultColumns& columns) {
  const auto& uuid = table.utf8("uuid");
  const auto& answers = table.list_utf8("answers");
  const auto& paraphrases = table.list_utf8("paraphrases");
  const auto& prompts = table.list_utf8("prompts");
  const auto& prediction = table.utf8("prediction");
  const auto& generation = table.utf8("generation");
  const auto* index = columns.paraphrase_index ? &table.int64("paraphrase_index") : nullptr;
  const auto* indices = columns.paraphrase_indices ? &table.list_int64("paraphrase_indices") : nullptr;
  const auto* sample = columns.sample_index ? &table.int64("sample_index") : nullptr;
  const std::vector<double>* margin = table.has("margin") ? &table.float64("margin") : nullptr;
  std::vector<ResultRow> rows(table.num_rows());
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].uuid = uuid[i];
    rows[i].answers = answers[i];
    rows[i].paraphrases = paraphrases[i];
    rows[i].prompts = prompts[i];
    rows[i].paraphrase_index = index ? (*index)[i] : -1;
    if (indices) rows[i].paraphrase_indices = (*indices)[i];
    rows[i].sample_index = sample ? (*sample)[i] : -1;
    rows[i].prediction = prediction[i];
    rows[i].generation = generation[i];
    if (margin) rows[i].margin = (*margin)[i];
  }
  return rows;
}

void write_csv_copy(const std::filesystem::path& feather_path, const io::Table& table) {
  std::filesystem::path csv = feather_path;
  csv.replace_extension(".csv");
  if (!table.has("predict_lemma") || !table.has("answer_lemmas")) {
    io::write_csv(csv, table);
    return;
  }
  io::Table copy = table;
  const auto& pred = table.list_utf8("predict_lemma");
  const auto& answers = table.list_list_utf8("answer_lemmas");
  std::vector<bool> correct;
  for (size_t i = 0; i < pred.size(); ++i) correct.push_back(eval::is_correct(pred[i], answers[i]));
  copy.set("correctness", std::move(correct));
  io::write_csv(csv, copy);
}

}  // namespace selfens
