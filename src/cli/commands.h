#pragma once
// One function per subcommand: argv[0] is "selfens", argv[1] the command.
namespace selfens::cli {

int cmd_run(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_lemmatize(int argc, char** argv);
int cmd_match(int argc, char** argv);
int cmd_confidence(int argc, char** argv);
int cmd_paraphrase(int argc, char** argv);
int cmd_analyze(int argc, char** argv);
int cmd_mask(int argc, char** argv);
int cmd_merge(int argc, char** argv);

}  // namespace selfens::cli
