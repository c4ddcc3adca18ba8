//===- Commands.h - the attune driver's commands ----------------*- C++ -*-===//
#ifndef ATTUNE_TOOLS_ATTUNE_COMMANDS_H
#define ATTUNE_TOOLS_ATTUNE_COMMANDS_H

#include "llvm/Support/CommandLine.h"

#include <string>

namespace mlir::attn::driver {
/// Each takes the full argv (argv[1] is the command name) and returns the
/// process exit code.
int runCommand(int argc, char **argv);
int compileCommand(int argc, char **argv);
int evalCommand(int argc, char **argv);
int probeHeadsCommand(int argc, char **argv);
int decodeCommand(int argc, char **argv);
int benchCommand(int argc, char **argv);

/// --name: the C symbol prefix for compile; for run and bench of a shared
/// library, which model to load when it holds several.
extern llvm::cl::opt<std::string> entryName;
} // namespace mlir::attn::driver

#endif
