// Tokenizer throughput: encodes a large text (a synthetic, licence-free
// English-like text with some other scripts, numbers and code, or a file)
// in one call and line by line, single thread, and prints tokens/s and MB/s.
//
//   bench_tokenizer TOKENIZER.json|MODEL.gguf [--text FILE] [--mb N]
//                   [--reps R] [--dump-text FILE]
// Lines printed: "RESULT <mode> tokens=<n> seconds=<best> tokens_per_s=<x> mb_per_s=<y>".
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/gguf.h"
#include "tokenizer/tokenizer.h"
#include "util/check.h"

namespace {

// Deterministic 64-bit LCG.
struct Rng {
  uint64_t s = 0x853c49e6748fea9bull;
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 33);
  }
  double unit() { return next() / 2147483648.0; }
};

std::string make_text(size_t bytes) {
  Rng rng;
  const char* syll[] = {"ka", "re", "to", "mi", "an", "el", "or", "is", "ta", "ne", "li", "us", "pro",
                        "con", "der", "ing", "tion", "ex", "st", "ch", "th", "qu", "ble", "ment", "er"};
  std::vector<std::string> words = {"the", "of", "and", "to", "a", "in", "is", "it", "that", "was",
                                    "for", "on", "are", "with", "as", "I", "his", "they", "be", "at"};
  while (words.size() < 30000) {
    std::string w;
    for (int k = 1 + rng.next() % 4; k > 0; --k) w += syll[rng.next() % 25];
    words.push_back(w);
  }
  std::vector<double> cdf(words.size());  // Zipf(1)
  double acc = 0;
  for (size_t r = 0; r < words.size(); ++r) cdf[r] = acc += 1.0 / (r + 1);
  const char* other[] = {"東京は日本の首都です。", "Москва — столица России.", "Ελληνικά κείμενα εδώ.",
                         "مرحبا بالعالم", "नमस्ते दुनिया", "😀 👍🏽 🎉", "def f(x):\n    return x * 2",
                         "for (int i = 0; i < n; ++i) sum += a[i];", "https://example.com/a?b=1"};
  const char* contr[] = {"don't", "it's", "they'll", "we've", "I'm", "you're", "He'd", "CAN'T"};
  std::string t;
  while (t.size() < bytes) {
    const uint32_t kind = rng.next() % 100;
    if (kind < 4) {
      t += other[rng.next() % 9];
      t += "\n";
      continue;
    }
    const int n = 5 + rng.next() % 16;
    for (int i = 0; i < n; ++i) {
      const uint32_t r = rng.next() % 100;
      std::string w;
      if (r < 3) w = std::to_string(rng.next() % 100000);
      else if (r < 5) w = contr[rng.next() % 8];
      else w = words[std::lower_bound(cdf.begin(), cdf.end(), rng.unit() * acc) - cdf.begin()];
      if (i == 0 && w[0] >= 'a' && w[0] <= 'z') w[0] = static_cast<char>(w[0] - 32);
      t += w;
      const uint32_t p = rng.next() % 100;
      t += i + 1 == n ? (p < 80 ? ". " : p < 90 ? "? " : "!\n\n") : (p < 8 ? ", " : " ");
    }
    if (kind < 10) t += "\n";
  }
  t.resize(bytes);
  while (!t.empty() && (static_cast<uint8_t>(t.back()) & 0xC0) == 0x80) t.pop_back();  // whole chars
  if (!t.empty() && static_cast<uint8_t>(t.back()) >= 0xC0) t.pop_back();
  return t;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void report(const char* mode, size_t tokens, double best, size_t bytes) {
  std::printf("RESULT %s tokens=%zu seconds=%.4f tokens_per_s=%.0f mb_per_s=%.2f\n", mode, tokens, best,
              tokens / best, bytes / best / 1e6);
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TOKENIZER.json|MODEL.gguf [--text FILE] [--mb N] [--reps R] "
                 "[--dump-text FILE]\n", argv[0]);
    return 2;
  }
  std::string path = argv[1], text_file, dump;
  double mb = 4;
  int reps = 5;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--text")) text_file = argv[i + 1];
    else if (!std::strcmp(argv[i], "--mb")) mb = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--dump-text")) dump = argv[i + 1];
  }
  std::string text;
  if (!text_file.empty()) {
    std::ifstream f(text_file, std::ios::binary);
    SELFENS_REQUIRE(f.good(), "cannot open " + text_file);
    std::ostringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  } else {
    text = make_text(static_cast<size_t>(mb * 1e6));
  }
  if (!dump.empty()) std::ofstream(dump, std::ios::binary) << text;

  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<selfens::Tokenizer> tok;
  if (path.size() > 5 && path.substr(path.size() - 5) == ".gguf") {
    selfens::GgufFile g(path);
    tok = selfens::Tokenizer::from_gguf(g);
  } else {
    tok = selfens::Tokenizer::from_tokenizer_json(path);
  }
  std::printf("loaded %s in %.3f s; text %.2f MB\n", path.c_str(), seconds_since(t0), text.size() / 1e6);

  std::vector<std::string> lines;
  for (size_t i = 0; i < text.size();) {
    size_t j = text.find('\n', i);
    j = j == std::string::npos ? text.size() : j + 1;
    lines.push_back(text.substr(i, j - i));
    i = j;
  }
  double best_one = 1e30, best_lines = 1e30, first = 0;
  size_t n_one = 0, n_lines = 0;
  for (int r = 0; r < reps; ++r) {
    t0 = std::chrono::steady_clock::now();
    n_one = tok->encode(text, false).size();
    const double s = seconds_since(t0);
    if (r == 0) first = s;
    best_one = std::min(best_one, s);
    t0 = std::chrono::steady_clock::now();
    n_lines = 0;
    for (const auto& l : lines) n_lines += tok->encode(l, false).size();
    best_lines = std::min(best_lines, seconds_since(t0));
  }
  report("encode_one_call_cold", n_one, first, text.size());
  report("encode_one_call", n_one, best_one, text.size());
  report("encode_lines", n_lines, best_lines, text.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
    return 2;
  }
}
