// Tokenizer behaviour beyond the goldens: BOS/EOS rules per family, added
// tokens (special or not, lstrip/rstrip), a small GGUF vocabulary, invalid
// UTF-8, threads, and bad inputs (each an InputError naming the file).
#include <thread>

#include "model/test_files.h"
#include "tokenizer/tokenizer_test_util.h"

namespace selfens {
namespace {

using nlohmann::json;
using test::expect_input_error;
using test::family_tokenizer;

TEST(Tokenizer, Llama3AddsBeginOfText) {
  const Tokenizer& t = family_tokenizer("llama3");
  EXPECT_EQ(t.bos_id(), 128000);
  EXPECT_EQ(t.vocab_size(), 128257);
  EXPECT_EQ(t.encode("Hi", true), (std::vector<int32_t>{128000, 13347}));
  EXPECT_EQ(t.encode("Hi", false), (std::vector<int32_t>{13347}));
  EXPECT_EQ(t.encode("<|begin_of_text|>Hi", false), (std::vector<int32_t>{128000, 13347}));
  EXPECT_TRUE(t.is_special(128000));
  EXPECT_FALSE(t.is_special(13347));
  EXPECT_EQ(t.token_text(128000), "<|begin_of_text|>");
  EXPECT_EQ(t.decode({128000, 13347}, true), "Hi");
  EXPECT_EQ(t.decode({128000, 13347}, false), "<|begin_of_text|>Hi");
  const auto eos = t.eos_ids();  // tokenizer_config.json's eos_token
  EXPECT_NE(std::find(eos.begin(), eos.end(), 128001), eos.end());
}

TEST(Tokenizer, Qwen2AddsNothingAndNormalizesNfc) {
  const Tokenizer& t = family_tokenizer("qwen2");
  EXPECT_EQ(t.bos_id(), -1);
  EXPECT_EQ(t.encode("cafe\xCC\x81", true), t.encode("caf\xC3\xA9", true));
  EXPECT_EQ(t.encode("<think>", true), (std::vector<int32_t>{151667}));
  EXPECT_FALSE(t.is_special(151667));  // an added token that is not special
  EXPECT_TRUE(t.is_special(151645));
  EXPECT_EQ(t.decode({151667, 151645}, true), "<think>");
  EXPECT_EQ(t.eos_ids(), (std::vector<int32_t>{151645}));
}

TEST(Tokenizer, SmolLM2FromGgufAndJsonAgree) {
  const Tokenizer& g = family_tokenizer("smollm2_gguf");
  const Tokenizer& j = family_tokenizer("smollm2");
  for (const Tokenizer* t : {&g, &j}) {
    EXPECT_EQ(t->vocab_size(), 49152);
    EXPECT_EQ(t->bos_id(), 1);
    EXPECT_EQ(t->eos_ids(), (std::vector<int32_t>{2}));
    for (int id = 0; id < 17; ++id) EXPECT_TRUE(t->is_special(id)) << id;
    EXPECT_FALSE(t->is_special(17));
  }
  const std::string text = "<|im_start|>user\nWhat is 12+30?<|im_end|>\n";
  EXPECT_EQ(g.encode(text), j.encode(text));
  EXPECT_EQ(g.encode(text).front(), 1);  // the text's own token: nothing added
  for (int32_t id = 0; id < g.vocab_size(); id += 97) EXPECT_EQ(g.token_text(id), j.token_text(id));
}

TEST(Tokenizer, InvalidUtf8IsKeptByteForByte) {
  const Tokenizer& t = family_tokenizer("llama3");
  const std::string bad = std::string("ok \xFF\xC3 x\xE4\xB8", 8) + std::string(1, '\0') + "end";
  std::string joined;
  for (int32_t id : t.encode(bad, false)) joined += t.token_text(id);
  EXPECT_EQ(joined, bad);
  EXPECT_EQ(t.decode(t.encode(bad, false)), "ok \xEF\xBF\xBD\xEF\xBF\xBD x\xEF\xBF\xBD" + std::string(1, '\0') + "end");
}

TEST(Tokenizer, ThreadsGetTheSameIds) {
  const Tokenizer& t = family_tokenizer("smollm2");
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back("word" + std::to_string(i * 7919) + " and more words " + std::to_string(i));
  std::vector<std::vector<int32_t>> a(texts.size()), b(texts.size());
  std::thread th([&] { for (size_t i = 0; i < texts.size(); ++i) a[i] = t.encode(texts[i]); });
  for (size_t i = 0; i < texts.size(); ++i) b[i] = t.encode(texts[i]);
  th.join();
  EXPECT_EQ(a, b);
}

// GPT-2's byte -> character table, to write small byte-level vocabularies.
std::string byte_char(int b) {
  const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
  int cp = b;
  if (!printable) {
    int k = 0;
    for (int x = 0; x < b; ++x) {
      if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE)) ++k;
    }
    cp = 256 + k;
  }
  std::string s;
  if (cp < 0x80) s += static_cast<char>(cp);
  else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// A tiny tokenizer.json: byte b has id b; merges he, ll, hell, Ġw; added
// tokens 260..264.
json tiny_json() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_char(b)] = b;
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hell"] = 258;
  vocab[byte_char(' ') + "w"] = 259;
  json added = json::array();
  auto add = [&](int id, const char* s, bool special, bool l, bool r) {
    added.push_back({{"id", id}, {"content", s}, {"special", special}, {"lstrip", l}, {"rstrip", r},
                     {"normalized", false}, {"single_word", false}});
  };
  add(260, "<s>", true, false, false);
  add(261, "[L]", true, true, false);
  add(262, "[R]", true, false, true);
  add(263, "<u>", false, false, false);
  add(264, "</s>", true, false, false);
  json tmpl = {{"type", "TemplateProcessing"},
               {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                       {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                       {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}})},
               {"pair", json::array()},
               {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {260}}, {"tokens", {"<s>"}}}},
                                   {"</s>", {{"id", "</s>"}, {"ids", {264}}, {"tokens", {"</s>"}}}}}}};
  return {{"version", "1.0"},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
          {"post_processor", tmpl},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab},
                     {"merges", json::array({"h e", "l l", json::array({"he", "ll"}),
                                             byte_char(' ') + " w"})}}}};
}

std::filesystem::path write_json(const std::string& name, const std::string& text) {
  const auto dir = test::temp_dir("tok_" + name);
  const auto p = dir / "tokenizer.json";
  test::write_text(p, text);
  return p;
}

TEST(Tokenizer, AddedTokensAndTemplate) {
  const auto t = Tokenizer::from_tokenizer_json(write_json("tiny", tiny_json().dump()).string());
  EXPECT_EQ(t->encode("hello", true), (std::vector<int32_t>{260, 258, 'o', 264}));
  EXPECT_EQ(t->encode("hello world", false), (std::vector<int32_t>{258, 'o', 259, 'o', 'r', 'l', 'd'}));
  EXPECT_EQ(t->encode("a [L] b", false), (std::vector<int32_t>{'a', 261, ' ', 'b'}));   // lstrip
  EXPECT_EQ(t->encode("a [R] b", false), (std::vector<int32_t>{'a', ' ', 262, 'b'}));   // rstrip
  EXPECT_EQ(t->encode("<s></s>x<u>", false), (std::vector<int32_t>{260, 264, 'x', 263}));
  EXPECT_EQ(t->decode({260, 258, 'o', 263, 264}, true), "hello<u>");
  EXPECT_EQ(t->decode({260, 258, 'o', 263, 264, 9999, -1}, false), "<s>hello<u></s>");
  EXPECT_EQ(t->bos_id(), 260);
  EXPECT_EQ(t->vocab_size(), 265);
}

TEST(Tokenizer, BadTokenizerJson) {
  expect_input_error([] { Tokenizer::from_tokenizer_json("/nonexistent/dir/tokenizer.json"); },
                     {"/nonexistent/dir/tokenizer.json"});
  const auto bad = write_json("malformed", "{\"model\": {\"type\": \"BPE\", ");
  expect_input_error([&] { Tokenizer::from_tokenizer_json(bad.string()); }, {bad.string(), "malformed JSON"});
  for (const char* model : {"WordPiece", "Unigram"}) {
    json j = tiny_json();
    j["model"]["type"] = model;
    const auto p = write_json(std::string("model_") + model, j.dump());
    expect_input_error([&] { Tokenizer::from_tokenizer_json(p.string()); },
                       {std::string("unsupported tokenizer model ") + model + " in " + p.string()});
  }
  json j = tiny_json();
  j["model"]["merges"].push_back("x q");  // "xq" is not in the vocabulary
  const auto p = write_json("merge", j.dump());
  expect_input_error([&] { Tokenizer::from_tokenizer_json(p.string()); }, {p.string(), "merge 4 'x q'"});
  j = tiny_json();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  const auto q = write_json("pre", j.dump());
  expect_input_error([&] { Tokenizer::from_tokenizer_json(q.string()); }, {"unsupported pre_tokenizer", q.string()});
  j = tiny_json();
  j["model"]["vocab"]["he"] = "x";
  const auto r = write_json("vocabtype", j.dump());
  expect_input_error([&] { Tokenizer::from_tokenizer_json(r.string()); }, {r.string()});
  // Found by fuzzing: a float or huge token id, and a template naming a
  // special token without "ids", are errors (were undefined behaviour).
  j = tiny_json();
  j["model"]["vocab"]["he"] = 1e300;
  const auto f = write_json("vocabfloat", j.dump());
  expect_input_error([&] { Tokenizer::from_tokenizer_json(f.string()); }, {f.string(), "token id"});
  j = tiny_json();
  j["added_tokens"] = json::array({{{"id", 4.5e19}, {"content", "<x>"}}});
  const auto a = write_json("addedfloat", j.dump());
  expect_input_error([&] { Tokenizer::from_tokenizer_json(a.string()); }, {a.string(), "added token id"});
  j = tiny_json();
  j["post_processor"] = {{"type", "TemplateProcessing"},
                         {"single", json::array({{{"SpecialToken", {{"id", "<s>"}}}}})},
                         {"special_tokens", {{"<s>", {{"id", "<s>"}}}}}};
  const auto t = write_json("templateids", j.dump());
  expect_input_error([&] { Tokenizer::from_tokenizer_json(t.string()); }, {t.string()});
}

// A GGUF with the tiny vocabulary as tokenizer.ggml.* metadata.
std::vector<uint8_t> tiny_gguf(const std::string& model, const std::string& pre) {
  test::Bytes tokens, types, merges;
  std::vector<std::string> toks;
  for (int b = 0; b < 256; ++b) toks.push_back(byte_char(b));
  for (const char* s : {"he", "ll", "hell", "<|eot|>", "<tool>"}) toks.push_back(s);
  tokens.put<uint32_t>(8).put<uint64_t>(toks.size());
  types.put<uint32_t>(5).put<uint64_t>(toks.size());
  for (size_t i = 0; i < toks.size(); ++i) {
    tokens.str(toks[i]);
    types.put<int32_t>(i == 259 ? 3 : i == 260 ? 4 : 1);
  }
  merges.put<uint32_t>(8).put<uint64_t>(3).str("h e").str("l l").str("he ll");
  return test::GgufBuilder()
      .kv_str("general.architecture", "llama")
      .kv_str("tokenizer.ggml.model", model)
      .kv_str("tokenizer.ggml.pre", pre)
      .kv("tokenizer.ggml.tokens", 9, tokens)
      .kv("tokenizer.ggml.token_type", 9, types)
      .kv("tokenizer.ggml.merges", 9, merges)
      .kv_u32("tokenizer.ggml.bos_token_id", 'B')
      .kv_u32("tokenizer.ggml.eos_token_id", 259)
      .kv("tokenizer.ggml.add_bos_token", 7, test::Bytes().put<uint8_t>(1))
      .build();
}

TEST(Tokenizer, GgufMetadata) {
  const auto dir = test::temp_dir("tok_gguf");
  test::write_file(dir / "t.gguf", tiny_gguf("gpt2", "llama-bpe"));
  GgufFile g((dir / "t.gguf").string());
  const auto t = Tokenizer::from_gguf(g);
  EXPECT_EQ(t->encode("hello<|eot|><tool>", true), (std::vector<int32_t>{'B', 258, 'o', 259, 260}));
  EXPECT_EQ(t->eos_ids(), (std::vector<int32_t>{259}));
  EXPECT_TRUE(t->is_special(259));
  EXPECT_FALSE(t->is_special(260));
  EXPECT_EQ(t->decode({'B', 258, 259, 260}, true), "Bhell<tool>");

  test::write_file(dir / "spm.gguf", tiny_gguf("llama", "default"));
  GgufFile spm((dir / "spm.gguf").string());
  expect_input_error([&] { Tokenizer::from_gguf(spm); },
                     {"unsupported tokenizer model llama in " + (dir / "spm.gguf").string()});
  test::write_file(dir / "pre.gguf", tiny_gguf("gpt2", "chameleon"));
  GgufFile pre((dir / "pre.gguf").string());
  expect_input_error([&] { Tokenizer::from_gguf(pre); },
                     {"tokenizer.ggml.pre 'chameleon'", "pre.gguf", "deepseek-r1-qwen", "llama-bpe"});
}

}  // namespace
}  // namespace selfens
