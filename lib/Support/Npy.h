//===- Npy.h - host tensors and .npy files ----------------------*- C++ -*-===//
//
// A plain host tensor (shape, element kind, bytes) and the NumPy .npy format
// (version 1/2, little-endian, C order), which is how `attune run` exchanges
// inputs and outputs with users and with onnxruntime.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_LIB_SUPPORT_NPY_H
#define ATTUNE_LIB_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, Bool };

/// Bytes per element.
size_t dtypeSize(DType t);
/// NumPy descr ("<f4", "|b1", ...). BF16 has none and is stored as "<u2".
const char *dtypeDescr(DType t);
const char *dtypeName(DType t);

struct HostArray {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data; // 64-byte aligned copies are made by the runner

  int64_t numElements() const;
  /// Element `i` converted to double (for comparisons and printing).
  double at(int64_t i) const;
  std::string shapeStr() const;
};

/// Reads a .npy file; on failure returns false and sets `error`.
bool readNpy(const std::string &path, HostArray &t, std::string &error);
/// Writes a .npy file; on failure returns false and sets `error`.
bool writeNpy(const std::string &path, const HostArray &t,
              std::string &error);

} // namespace mlir::attn

#endif
