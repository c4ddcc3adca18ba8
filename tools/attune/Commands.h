//===- Commands.h - the attune driver's commands ----------------*- C++ -*-===//
#ifndef ATTUNE_TOOLS_ATTUNE_COMMANDS_H
#define ATTUNE_TOOLS_ATTUNE_COMMANDS_H

namespace mlir::attn::driver {
/// Each takes the full argv (argv[1] is the command name) and returns the
/// process exit code.
int runCommand(int argc, char **argv);
int compileCommand(int argc, char **argv);
int evalCommand(int argc, char **argv);
int probeHeadsCommand(int argc, char **argv);
int decodeCommand(int argc, char **argv);
} // namespace mlir::attn::driver

#endif
