//===- Checks.cpp - failures of generated code's run-time checks ----------===//
//
// The first failed check of a run on this thread (see CpuKernels.h); later
// ones of the same run are dropped, so that the report names the first bad
// value rather than the last.
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"

namespace {
struct Failure {
  bool set = false;
  int64_t site = 0, value = 0, bound = 0;
};
thread_local Failure failure;
} // namespace

extern "C" void attune_check_failed(int64_t site, int64_t value,
                                    int64_t bound) {
  if (failure.set)
    return;
  failure = {true, site, value, bound};
}

extern "C" int attune_cpu_take_check_failure(int64_t *site, int64_t *value,
                                             int64_t *bound) {
  if (!failure.set)
    return 0;
  *site = failure.site;
  *value = failure.value;
  *bound = failure.bound;
  failure = {};
  return 1;
}
