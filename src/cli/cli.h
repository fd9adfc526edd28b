#pragma once
// The `selfens` command line: subcommand dispatch and the top-level error
// handler (one line on stderr, documented exit code).
namespace selfens::cli {

int main(int argc, char** argv);

}  // namespace selfens::cli
