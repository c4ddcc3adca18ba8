//===- attune.cpp - the attune driver -------------------------------------===//
//
// `attune <command>`: one file per command (RunCommand.cpp, ...), sharing
// model loading, compilation and comparison through Session.h.
//
//===----------------------------------------------------------------------===//

#include "attune/InitAll.h"
#include "tools/ToolSupport.h"
#include "tools/attune/Commands.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

namespace {
struct Command {
  const char *name;
  const char *help;
  int (*fn)(int, char **);
};

const Command commands[] = {
    {"run", "compile MODEL for the CPU, run it, write outputs; --check "
            "compares with onnxruntime",
     driver::runCommand},
    {"compile", "build a shared library with a C entry point and header "
                "(or --emit=mlir|llvm|obj)",
     driver::compileCommand},
    {"bench", "time MODEL (JIT or a compiled .so): median/min/mean over "
              "--runs, kernel time split, --json",
     driver::benchCommand},
    {"decode", "run a decoder-with-past MODEL step by step, carrying the KV "
               "cache and rewrite state",
     driver::decodeCommand},
    {"eval", "compare a rewritten MODEL (--policy/--rewrite) with the dense "
             "one: per-site error, density, recall, run time",
     driver::evalCommand},
    {"probe-heads", "find retrieval heads (echo/induction scores on a "
                    "repeated random probe) and write a policy",
     driver::probeHeadsCommand},
};

void usage() {
  llvm::outs() << "usage: attune <command> [options]\n\ncommands:\n";
  for (const Command &c : commands)
    llvm::outs() << "  " << llvm::left_justify(c.name, 10) << " " << c.help
                 << "\n";
  llvm::outs() << "\n`attune <command> --help` lists a command's options.\n";
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2 || llvm::StringRef(argv[1]) == "-h" ||
      llvm::StringRef(argv[1]) == "--help" ||
      llvm::StringRef(argv[1]) == "help") {
    usage();
    return argc < 2 ? 1 : 0;
  }
  tools::registerImportCLOptions();
  attn::registerAllPasses();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  for (const Command &c : commands)
    if (llvm::StringRef(argv[1]) == c.name)
      return c.fn(argc, argv);
  llvm::errs() << "error: unknown command '" << argv[1] << "'\n";
  usage();
  return 1;
}
