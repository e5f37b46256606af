// A persistent pool of worker threads sized to the cores. parallelFor splits [0, n) into chunks;
// the calling thread works too, and the call returns when every chunk is done.
#pragma once

#include <cstdint>
#include <functional>

namespace parley::cpu {

class ThreadPool {
  public:
    explicit ThreadPool(int threads);  // threads <= 0: one per available core
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const;  // threads taking part, the caller included
    // fn(begin, end, threadIndex) over disjoint ranges covering [0, n), taken by the threads as
    // they become free. Ranges hold at most maxChunk items (0: a few ranges per thread); pass 1
    // when items differ in cost and come ordered most expensive first.
    void parallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn,
                     int64_t maxChunk = 0);

  private:
    struct State;
    State* state_;
};

}  // namespace parley::cpu
