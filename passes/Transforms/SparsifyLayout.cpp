//===- SparsifyLayout.cpp - static block-sparse layouts -------------------===//
//
// Parsing and validation of CSR layout files, and the built-in layouts. Every
// malformed input is reported with what was expected, never asserted on.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/SparsifyLayout.h"

#include "lib/Support/JsonLimits.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::attn;

/// Reads an array of integer arrays named `key`.
static bool readIntRows(const llvm::json::Object &obj, StringRef key,
                        std::vector<std::vector<int64_t>> &rows,
                        std::string &error) {
  const llvm::json::Array *outer = obj.getArray(key);
  if (!outer) {
    error =
        ("expected \"" + key + "\": an array with one array per layout").str();
    return false;
  }
  for (const llvm::json::Value &row : *outer) {
    const llvm::json::Array *inner = row.getAsArray();
    if (!inner) {
      error = ("\"" + key + "\" must hold arrays of integers").str();
      return false;
    }
    rows.emplace_back();
    for (const llvm::json::Value &v : *inner) {
      std::optional<int64_t> i = v.getAsInteger();
      if (!i) {
        error = ("\"" + key + "\" must hold arrays of integers").str();
        return false;
      }
      rows.back().push_back(*i);
    }
  }
  return true;
}

bool mlir::attn::readLayoutFile(StringRef path, int64_t blockSize,
                                BlockLayout &layout, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "cannot read layout file '" + path.str() +
            "': " + buffer.getError().message();
    return false;
  }
  if (jsonTooDeep((*buffer)->getBuffer())) {
    error = "layout file '" + path.str() + "': nested deeper than " +
            std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    error = "layout file '" + path.str() +
            "' is not valid JSON: " + llvm::toString(json.takeError());
    return false;
  }
  const llvm::json::Object *obj = json->getAsObject();
  if (!obj) {
    error = "layout file '" + path.str() + "': expected a JSON object";
    return false;
  }
  std::string prefix = "layout file '" + path.str() + "': ";
  for (const auto &kv : *obj)
    if (kv.first != "block_size" && kv.first != "block_row_indices" &&
        kv.first != "block_col_indices") {
      error = prefix + "unknown key '" + std::string(StringRef(kv.first)) +
              "' (expected block_size, block_row_indices, block_col_indices)";
      return false;
    }
  if (const llvm::json::Value *bs = obj->get("block_size")) {
    std::optional<int64_t> v = bs->getAsInteger();
    if (!v || *v != blockSize) {
      error = prefix + "its block_size does not match block-size=" +
              std::to_string(blockSize);
      return false;
    }
  }
  std::vector<std::vector<int64_t>> rowPtrs, cols;
  if (!readIntRows(*obj, "block_row_indices", rowPtrs, error) ||
      !readIntRows(*obj, "block_col_indices", cols, error)) {
    error = prefix + error;
    return false;
  }
  if (rowPtrs.empty() || rowPtrs.size() != cols.size()) {
    error = prefix +
            "expected the same positive number of layouts in "
            "block_row_indices and block_col_indices, got " +
            std::to_string(rowPtrs.size()) + " and " +
            std::to_string(cols.size());
    return false;
  }
  int64_t size = static_cast<int64_t>(rowPtrs[0].size()) - 1;
  if (size < 1) {
    error = prefix + "block_row_indices rows need at least 2 entries";
    return false;
  }
  layout.numLayouts = rowPtrs.size();
  layout.size = size;
  layout.keep.assign(layout.numLayouts * size * size, false);
  for (int64_t l = 0; l < layout.numLayouts; ++l) {
    const auto &ptr = rowPtrs[l];
    const auto &col = cols[l];
    std::string where = prefix + "layout " + std::to_string(l) + ": ";
    if (static_cast<int64_t>(ptr.size()) != size + 1) {
      error = where + "expected " + std::to_string(size + 1) +
              " row pointers (every layout has the same grid), got " +
              std::to_string(ptr.size());
      return false;
    }
    if (ptr[0] != 0 || ptr[size] > static_cast<int64_t>(col.size())) {
      error = where + "row pointers must start at 0 and end within "
                      "block_col_indices";
      return false;
    }
    // Layouts of one file share a column-array length: what follows the
    // last row's entries is padding, and must say so (-1), so that a row
    // pointer array that stops short is not taken for padding.
    for (size_t e = ptr[size]; e < col.size(); ++e)
      if (col[e] != -1) {
        error = where + "block_col_indices entry " + std::to_string(e) +
                " is past the last row pointer (" + std::to_string(ptr[size]) +
                ") but is " + std::to_string(col[e]) +
                ", not -1 padding";
        return false;
      }
    for (int64_t r = 0; r < size; ++r) {
      if (ptr[r + 1] < ptr[r]) {
        error = where + "row pointers must not decrease";
        return false;
      }
      for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {
        if (col[e] < 0 || col[e] >= size) {
          error = where + "row " + std::to_string(r) + " lists key block " +
                  std::to_string(col[e]) + ", outside the " +
                  std::to_string(size) + "x" + std::to_string(size) + " grid";
          return false;
        }
        layout.keep[(l * size + r) * size + col[e]] = true;
      }
    }
  }
  return true;
}

BlockLayout mlir::attn::localStridedLayout(int64_t size, int64_t localBlocks,
                                           int64_t stride, bool causal) {
  BlockLayout layout;
  layout.numLayouts = 1;
  layout.size = size;
  layout.keep.assign(size * size, false);
  for (int64_t r = 0; r < size; ++r)
    for (int64_t c = 0; c < size; ++c) {
      int64_t dist = r - c;
      bool local = causal ? (dist >= 0 && dist < localBlocks)
                          : (std::abs(dist) < localBlocks);
      bool strided = stride > 0 && (c + 1) % stride == 0 && (!causal || c <= r);
      layout.keep[r * size + c] = local || strided;
    }
  return layout;
}
