//===- SparsifyLayout.h - static block-sparse layouts -----------*- C++ -*-===//
//
// Static block layouts for `attn-sparsify{pattern=block-static}`: read from a
// JSON file in ONNX Runtime SparseAttention's CSR form, or built in
// (local + strided, as Phi-3-small's block-sparse attention). A layout is a
// square grid over absolute block positions, so one layout serves every
// sequence length up to its size.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_TRANSFORMS_SPARSIFYLAYOUT_H
#define ATTUNE_PASSES_TRANSFORMS_SPARSIFYLAYOUT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir::attn {

/// `numLayouts` square grids of `size` x `size` blocks; query head h uses
/// layout h % numLayouts (ONNX Runtime's convention).
struct BlockLayout {
  int64_t numLayouts = 0;
  int64_t size = 0;
  std::vector<bool> keep; // [layout][row][col]

  bool at(int64_t layout, int64_t row, int64_t col) const {
    return keep[(layout * size + row) * size + col];
  }
};

/// Reads a layout file:
///   {"block_size": 64,                          (optional; checked)
///    "block_row_indices": [[0, 1, 3], ...],     (per layout, R+1 pointers)
///    "block_col_indices": [[0, 0, 1], ...]}     (per layout, kept columns)
/// Row r of a layout keeps the key blocks col[row[r]] .. col[row[r+1]-1];
/// entries after row[R] are padding (ONNX Runtime pads with -1). On failure
/// returns false and sets `error`.
bool readLayoutFile(StringRef path, int64_t blockSize, BlockLayout &layout,
                    std::string &error);

/// One layout of `size` blocks: block row r keeps column c iff it is within
/// `localBlocks` of the diagonal (0 <= r - c < local when causal, |r - c| <
/// local otherwise) or (c + 1) % stride == 0 (stride 0: none), and, when
/// causal, c <= r.
BlockLayout localStridedLayout(int64_t size, int64_t localBlocks,
                               int64_t stride, bool causal);

} // namespace mlir::attn

#endif
