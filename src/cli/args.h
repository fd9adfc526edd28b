#pragma once
// A small command-line option parser: --name VALUE, --name=VALUE, boolean
// flags, and positional arguments. Underscores and dashes in option names are
// interchangeable (--num_paraphrases == --num-paraphrases), as the original
// used underscores. Unknown options are an InputError naming them.
#include <climits>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace selfens::cli {

class Args {
 public:
  // `flags` take no value; `options` take one. Names without leading dashes.
  Args(const std::string& command, int argc, char** argv, int first,
       const std::set<std::string>& options, const std::set<std::string>& flags);
  // The same from the arguments after the command words (the Python API).
  Args(const std::string& command, const std::vector<std::string>& args,
       const std::set<std::string>& options, const std::set<std::string>& flags);

  bool flag(const std::string& name) const;
  bool has(const std::string& name) const;
  std::string str(const std::string& name, const std::string& fallback) const;
  std::optional<std::string> maybe(const std::string& name) const;
  // A given value outside [lo, hi] is an InputError naming the option and
  // the range ("generate: --threads must be between 1 and 4096, got 0").
  int integer(const std::string& name, int fallback, int lo = INT_MIN, int hi = INT_MAX) const;
  double real(const std::string& name, double fallback, double lo = -HUGE_VAL,
              double hi = HUGE_VAL) const;
  // Comma-separated non-negative integers, e.g. "0,2,4".
  std::vector<int> int_list(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_set_;
  std::vector<std::string> positional_;
};

// "--num-paraphrases" and "num_paraphrases" both become "num_paraphrases".
std::string normalize_option(std::string name);

}  // namespace selfens::cli
