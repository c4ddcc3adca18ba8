//===- Npy.cpp - host tensors and .npy files ------------------------------===//

#include "lib/Support/Npy.h"

#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace mlir::attn;

size_t mlir::attn::dtypeSize(DType t) {
  switch (t) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
    return 2;
  case DType::I8:
  case DType::Bool:
    return 1;
  }
  return 1;
}

const char *mlir::attn::dtypeDescr(DType t) {
  switch (t) {
  case DType::F32:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::BF16:
    return "<u2";
  case DType::F64:
    return "<f8";
  case DType::I64:
    return "<i8";
  case DType::I32:
    return "<i4";
  case DType::I16:
    return "<i2";
  case DType::I8:
    return "|i1";
  case DType::Bool:
    return "|b1";
  }
  return "?";
}

const char *mlir::attn::dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "float32";
  case DType::F16:
    return "float16";
  case DType::BF16:
    return "bfloat16";
  case DType::F64:
    return "float64";
  case DType::I64:
    return "int64";
  case DType::I32:
    return "int32";
  case DType::I16:
    return "int16";
  case DType::I8:
    return "int8";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

int64_t HostArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static double halfToDouble(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0)
    v = std::ldexp(mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(mant + 1024, exp - 25);
  return sign ? -v : v;
}

double HostArray::at(int64_t i) const {
  const char *p = data.data() + i * dtypeSize(dtype);
  switch (dtype) {
  case DType::F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::F64: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case DType::F16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToDouble(h);
  }
  case DType::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    uint32_t w = static_cast<uint32_t>(h) << 16;
    float v;
    std::memcpy(&v, &w, 4);
    return v;
  }
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<double>(v);
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::I16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case DType::I8:
    return static_cast<int8_t>(*p);
  case DType::Bool:
    return *p ? 1.0 : 0.0;
  }
  return 0;
}

std::string HostArray::shapeStr() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

static bool parseDescr(const std::string &d, DType &t) {
  static const std::pair<const char *, DType> table[] = {
      {"<f4", DType::F32}, {"<f2", DType::F16}, {"<f8", DType::F64},
      {"<i8", DType::I64}, {"<i4", DType::I32}, {"<i2", DType::I16},
      {"|i1", DType::I8},  {"|b1", DType::Bool}, {"|u1", DType::I8},
      {"<u8", DType::I64}, {"<u4", DType::I32}, {"<u2", DType::BF16}};
  for (auto &[s, v] : table)
    if (d == s) {
      t = v;
      return true;
    }
  return false;
}

bool mlir::attn::readNpy(const std::string &path, HostArray &t,
                         std::string &error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot open '" + path + "'";
    return false;
  }
  char magic[8];
  f.read(magic, 8);
  if (!f || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  uint32_t hlen = 0;
  if (magic[6] == 1) {
    uint16_t h;
    f.read(reinterpret_cast<char *>(&h), 2);
    hlen = h;
  } else {
    f.read(reinterpret_cast<char *>(&hlen), 4);
  }
  std::string header(hlen, '\0');
  f.read(header.data(), hlen);
  if (!f) {
    error = "'" + path + "': truncated header";
    return false;
  }
  auto field = [&](const std::string &key) -> std::string {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos)
      return "";
    size_t c = header.find(':', k);
    size_t s = c == std::string::npos ? c : header.find_first_not_of(" ", c + 1);
    if (s == std::string::npos)
      return "";
    if (header[s] == '\'') {
      size_t e = header.find('\'', s + 1);
      return header.substr(s + 1, e - s - 1);
    }
    if (header[s] == '(') {
      size_t e = header.find(')', s);
      return header.substr(s + 1, e - s - 1);
    }
    size_t e = header.find_first_of(",}", s);
    return header.substr(s, e - s);
  };
  std::string descr = field("descr");
  if (descr.empty()) {
    error = "'" + path + "': the header has no 'descr' (element type)";
    return false;
  }
  if (!parseDescr(descr, t.dtype)) {
    error = "'" + path + "': unsupported dtype '" + descr + "'";
    return false;
  }
  if (field("fortran_order").find("True") != std::string::npos) {
    error = "'" + path + "': Fortran-order arrays are not supported";
    return false;
  }
  t.shape.clear();
  std::stringstream ss(field("shape"));
  std::string item;
  // The shape comes from the file: every dimension must be a non-negative
  // integer and the data size must neither overflow nor differ from what
  // the file holds after the header (checked before anything is allocated).
  uint64_t bytes = dtypeSize(t.dtype);
  while (std::getline(ss, item, ',')) {
    llvm::StringRef dim = llvm::StringRef(item).trim();
    if (dim.empty())
      continue;
    int64_t d;
    if (dim.getAsInteger(10, d) || d < 0) {
      error = "'" + path + "': bad dimension '" + dim.str() +
              "' in the header's shape (expected a non-negative integer)";
      return false;
    }
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) {
      error = "'" + path + "': the shape in the header is too large";
      return false;
    }
    t.shape.push_back(d);
  }
  std::streamoff start = f.tellg();
  f.seekg(0, std::ios::end);
  std::streamoff end = f.tellg();
  f.seekg(start);
  uint64_t have = end > start ? static_cast<uint64_t>(end - start) : 0;
  if (have != bytes) {
    error = "'" + path + "': the header's shape " + t.shapeStr() + " (" +
            dtypeName(t.dtype) + ") needs " + std::to_string(bytes) +
            " bytes of data, the file holds " + std::to_string(have);
    return false;
  }
  t.data.resize(bytes);
  f.read(t.data.data(), static_cast<std::streamsize>(bytes));
  if (static_cast<uint64_t>(f.gcount()) != bytes) {
    error = "'" + path + "': cannot read " + std::to_string(bytes) +
            " bytes of data";
    return false;
  }
  return true;
}

bool mlir::attn::writeNpy(const std::string &path, const HostArray &t,
                          std::string &error) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i)
    shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 || i + 1 < t.shape.size() ? "," : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + dtypeDescr(t.dtype) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot write '" + path + "'";
    return false;
  }
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t hlen = static_cast<uint16_t>(header.size());
  f.write(reinterpret_cast<const char *>(&hlen), 2);
  f.write(header.data(), header.size());
  f.write(t.data.data(), t.data.size());
  if (!f) {
    error = "error writing '" + path + "'";
    return false;
  }
  return true;
}
