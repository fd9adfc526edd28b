#include "cli/cli.h"

int main(int argc, char** argv) { return selfens::cli::main(argc, argv); }
