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

/// Work below which a kernel call runs on the calling thread alone: waking
/// a helper that went to sleep costs tens of microseconds on these
/// machines, about what 2 MFLOP take on one core. ATTUNE_MIN_PARALLEL_FLOPS
/// overrides it (tests set 0 so that small problems exercise the threads).
int64_t minParallelFlops();

/// parallelFor for a call of about `flops` work: inline when it is below
/// minParallelFlops().
void parallelFor(int64_t n, int64_t flops,
                 const std::function<void(int64_t, int)> &fn);

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
