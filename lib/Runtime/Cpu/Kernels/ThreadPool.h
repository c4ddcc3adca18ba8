//===- ThreadPool.h - the kernels' persistent worker threads ----*- C++ -*-===//
//
// Kernels split their work into independent items and call parallelFor; the
// calling thread works too. Items are handed out dynamically (an atomic
// counter), which balances causal and sparse work without a cost model.
// A parallelFor issued from inside a worker runs inline (no nesting).
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_THREADPOOL_H
#define ATTUNE_RUNTIME_CPU_KERNELS_THREADPOOL_H

#include <chrono>
#include <cstdint>
#include <functional>

namespace attune::cpu {

/// Number of threads kernels use (calling thread included).
int numThreads();

/// Calls fn(item, worker) for item in [0, n), worker in [0, numThreads()).
void parallelFor(int64_t n, const std::function<void(int64_t, int)> &fn);

/// Adds the lifetime of the object to a kernel family's profile counters.
class ProfileScope {
public:
  explicit ProfileScope(int family);
  ~ProfileScope();

private:
  int family;
  std::chrono::steady_clock::time_point t0;
};

} // namespace attune::cpu

#endif
