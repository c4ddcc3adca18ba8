//===- ThreadPool.cpp - the kernels' persistent worker threads ------------===//

#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include "attune/Runtime/CpuKernels.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <sched.h>
#include <thread>
#include <vector>

namespace attune::cpu {
namespace {

int defaultThreads() {
  if (const char *env = std::getenv("ATTUNE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return n;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

thread_local bool insideWorker = false;

class Pool {
public:
  static Pool &get() {
    static Pool *pool = new Pool(); // never destroyed: workers may outlive exit
    return *pool;
  }

  int size() {
    std::lock_guard<std::mutex> g(configMutex);
    return wanted;
  }
  void resize(int n) {
    std::lock_guard<std::mutex> g(configMutex);
    wanted = std::max(1, n);
  }

  void run(int64_t n, const std::function<void(int64_t, int)> &fn) {
    std::lock_guard<std::mutex> serial(runMutex); // one parallel region at once
    int threads = size();
    int helpers = static_cast<int>(std::min<int64_t>(threads, n)) - 1;
    if (helpers <= 0) {
      for (int64_t i = 0; i < n; ++i)
        fn(i, 0);
      return;
    }
    ensureWorkers(helpers);
    {
      std::lock_guard<std::mutex> g(m);
      job = &fn;
      total = n;
      next.store(0);
      pending.store(helpers, std::memory_order_release);
      participants = helpers;
      ++generation;
      generationSeen.store(generation, std::memory_order_release);
    }
    cv.notify_all();
    insideWorker = true;
    work(0);
    insideWorker = false;
    // The helpers usually finish within microseconds of the caller: spin
    // first, then sleep.
    for (int spin = 0;
         spin < kSpinIterations && pending.load(std::memory_order_acquire) != 0;
         ++spin)
      pause();
    std::unique_lock<std::mutex> g(m);
    done.wait(g, [&] { return pending.load(std::memory_order_acquire) == 0; });
    job = nullptr;
  }

private:
  Pool() : wanted(defaultThreads()) {}

  void work(int worker) {
    for (int64_t i = next.fetch_add(1); i < total; i = next.fetch_add(1))
      (*job)(i, worker);
  }

  void ensureWorkers(int n) {
    while (static_cast<int>(workers.size()) < n) {
      int id = static_cast<int>(workers.size()) + 1;
      workers.emplace_back([this, id] { loop(id); });
      workers.back().detach();
    }
  }

  void loop(int id) {
    insideWorker = true;
    uint64_t seen = 0;
    for (;;) {
      // Spin a little before sleeping: a model issues many short parallel
      // regions back to back, and a condition-variable wake-up costs tens of
      // microseconds.
      for (int spin = 0; spin < kSpinIterations &&
                         generationSeen.load(std::memory_order_acquire) == seen;
           ++spin)
        pause();
      {
        std::unique_lock<std::mutex> g(m);
        cv.wait(g, [&] { return generation != seen; });
        seen = generation;
        if (id > participants)
          continue;
      }
      work(id);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> g(m);
        done.notify_one();
      }
    }
  }

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  static constexpr int kSpinIterations = 4000;
  std::atomic<uint64_t> generationSeen{0};
  std::atomic<int> pending{0};

  std::mutex configMutex, runMutex, m;
  std::condition_variable cv, done;
  std::vector<std::thread> workers;
  const std::function<void(int64_t, int)> *job = nullptr;
  std::atomic<int64_t> next{0};
  int64_t total = 0;
  int participants = 0, wanted;
  uint64_t generation = 0;
};

std::atomic<uint64_t> profileNs[ATTUNE_KERNEL_FAMILIES];
std::atomic<uint64_t> profileCalls[ATTUNE_KERNEL_FAMILIES];

} // namespace

int numThreads() { return Pool::get().size(); }

void parallelFor(int64_t n, const std::function<void(int64_t, int)> &fn) {
  if (n <= 0)
    return;
  if (insideWorker || n == 1) {
    for (int64_t i = 0; i < n; ++i)
      fn(i, 0);
    return;
  }
  Pool::get().run(n, fn);
}

int64_t minParallelFlops() {
  static const int64_t value = [] {
    if (const char *env = std::getenv("ATTUNE_MIN_PARALLEL_FLOPS"))
      return static_cast<int64_t>(std::atoll(env));
    return int64_t(1) << 21;
  }();
  return value;
}

void parallelFor(int64_t n, int64_t flops,
                 const std::function<void(int64_t, int)> &fn) {
  if (flops >= minParallelFlops()) {
    parallelFor(n, fn);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    fn(i, 0);
}

ProfileScope::ProfileScope(int family)
    : family(family), t0(std::chrono::steady_clock::now()) {}

ProfileScope::~ProfileScope() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  profileNs[family] += static_cast<uint64_t>(ns);
  profileCalls[family] += 1;
}

} // namespace attune::cpu

extern "C" {
int attune_cpu_num_threads(void) { return attune::cpu::numThreads(); }
void attune_cpu_set_num_threads(int n) { attune::cpu::Pool::get().resize(n); }
void attune_cpu_profile_reset(void) {
  for (int i = 0; i < ATTUNE_KERNEL_FAMILIES; ++i) {
    attune::cpu::profileNs[i] = 0;
    attune::cpu::profileCalls[i] = 0;
  }
}
uint64_t attune_cpu_profile_ns(int family) {
  return family >= 0 && family < ATTUNE_KERNEL_FAMILIES
             ? attune::cpu::profileNs[family].load()
             : 0;
}
uint64_t attune_cpu_profile_calls(int family) {
  return family >= 0 && family < ATTUNE_KERNEL_FAMILIES
             ? attune::cpu::profileCalls[family].load()
             : 0;
}
}
