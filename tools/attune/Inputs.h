//===- Inputs.h - inputs of `attune run` ------------------------*- C++ -*-===//
//
// Inputs come from .npy files (which also fix the graph inputs' symbolic
// shapes) or are generated from a seed. Generated integer inputs are made
// valid for the model: token ids stay inside the embedding table they index,
// inputs named like masks are all ones, position ids count up.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_TOOLS_ATTUNE_INPUTS_H
#define ATTUNE_TOOLS_ATTUNE_INPUTS_H

#include "lib/Runtime/Cpu/JitRunner.h"
#include "lib/Support/Npy.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace mlir::attn {

/// File-name form of a tensor name: characters other than [A-Za-z0-9_.-]
/// become '_'.
std::string sanitizeName(const std::string &name);

class InputSet {
public:
  /// Reads `dir/NAME.npy` lazily (dir may be empty) and every NAME=FILE.
  bool load(const std::string &dir, const std::vector<std::string> &files,
            std::string &error);
  /// Shape of the given file for graph input `name`, if there is one.
  bool shapeOf(const std::string &name, std::vector<int64_t> &shape);
  /// All inputs of `sig` in order: given ones, the rest generated from `seed`
  /// using what `module` (after the import phase) says about their use.
  bool assemble(const Signature &sig, unsigned seed, ModuleOp module,
                std::vector<HostArray> &inputs, std::string &error);

private:
  bool find(const std::string &name, HostArray *&t);
  std::string dir;
  std::map<std::string, HostArray> tensors;
  /// Names given as --input NAME=FILE.
  std::vector<std::string> explicitNames;
  /// The first .npy of `dir` that could not be read (reported by assemble).
  std::string badFile;
  /// Whether the stray files of `dir` were reported already.
  bool warnedDir = false;
};

} // namespace mlir::attn

#endif
