#include "inference/cpu/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::cpu {
namespace {

// How long an idle worker polls before it sleeps in the kernel. The engine calls parallelFor
// about ten times per layer with short serial gaps between, so a brief poll catches the next
// job without a futex wake-up; longer and idle workers steal cores from other processes.
constexpr int kSpinIterations = 20000;

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

// Set on pool workers and on a caller inside parallelFor, so that a nested call runs inline
// instead of waiting for workers that are busy with the outer call.
thread_local bool tlsInsideParallelFor = false;

}  // namespace

struct ThreadPool::State {
    int threads = 1;
    std::vector<std::thread> workers;
    std::mutex callerMutex;  // one parallelFor at a time per pool

    // The published job; written by the caller before it opens the job in `ticket`.
    const std::function<void(int64_t, int64_t, int)>* fn = nullptr;
    int64_t n = 0;
    int64_t chunk = 1;
    std::atomic<int64_t> nextChunkStart{0};

    // Workers join a job only while it is open: high 32 bits the job's generation, bit 31 set
    // once the caller has closed it, low bits the number of workers that joined. The caller then
    // waits only for those, never for a worker the OS has not scheduled yet.
    static constexpr uint64_t kClosed = uint64_t{1} << 31;
    std::atomic<uint64_t> ticket{0};
    std::atomic<uint32_t> generation{0};  // futex word idle workers sleep on
    std::atomic<uint32_t> finished{0};    // futex word: joined workers done with the job
    std::atomic<bool> stopping{false};

    // Takes chunks until none are left.
    void runChunks(int threadIndex) {
        for (;;) {
            const int64_t begin = nextChunkStart.fetch_add(chunk, std::memory_order_relaxed);
            if (begin >= n)
                return;
            (*fn)(begin, std::min(n, begin + chunk), threadIndex);
        }
    }

    bool join(uint32_t jobGeneration) {
        uint64_t t = ticket.load(std::memory_order_acquire);
        while ((t >> 32) == jobGeneration && (t & kClosed) == 0) {
            if (ticket.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel))
                return true;
        }
        return false;
    }

    void workerLoop(int threadIndex) {
        tlsInsideParallelFor = true;
        uint32_t seen = 0;
        for (;;) {
            uint32_t now = generation.load(std::memory_order_acquire);
            for (int i = 0; now == seen && i < kSpinIterations; ++i) {
                cpuRelax();
                now = generation.load(std::memory_order_acquire);
            }
            while (now == seen) {
                generation.wait(seen, std::memory_order_acquire);
                now = generation.load(std::memory_order_acquire);
            }
            seen = now;
            if (stopping.load(std::memory_order_acquire))
                return;
            if (!join(seen))
                continue;
            runChunks(threadIndex);
            finished.fetch_add(1, std::memory_order_acq_rel);
            finished.notify_one();
        }
    }
};

ThreadPool::ThreadPool(int threads) : state_(new State) {
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    state_->threads = threads;
    state_->workers.reserve(static_cast<size_t>(threads - 1));
    for (int i = 1; i < threads; ++i)
        state_->workers.emplace_back([s = state_, i] { s->workerLoop(i); });
}

ThreadPool::~ThreadPool() {
    state_->stopping.store(true, std::memory_order_release);
    state_->generation.fetch_add(1, std::memory_order_release);
    state_->generation.notify_all();
    for (auto& w : state_->workers)
        w.join();
    delete state_;
}

int ThreadPool::size() const {
    return state_->threads;
}

void ThreadPool::parallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn,
                             int64_t maxChunk) {
    if (n <= 0)
        return;
    State& s = *state_;
    if (s.threads == 1 || n == 1 || tlsInsideParallelFor) {
        fn(0, n, 0);
        return;
    }
    std::lock_guard lock(s.callerMutex);
    tlsInsideParallelFor = true;
    // A few chunks per thread: contiguous enough to stream memory, small enough that a thread
    // the OS delays does not hold up the whole call.
    const int64_t pieces = std::min<int64_t>(n, int64_t{s.threads} * 4);
    s.fn = &fn;
    s.n = n;
    s.chunk = (n + pieces - 1) / pieces;
    if (maxChunk > 0)
        s.chunk = std::min(s.chunk, maxChunk);
    s.nextChunkStart.store(0, std::memory_order_relaxed);
    s.finished.store(0, std::memory_order_relaxed);
    const uint32_t jobGeneration = s.generation.load(std::memory_order_relaxed) + 1;
    s.ticket.store(uint64_t{jobGeneration} << 32, std::memory_order_release);
    s.generation.store(jobGeneration, std::memory_order_release);
    s.generation.notify_all();

    s.runChunks(0);

    const auto joined = static_cast<uint32_t>(
        s.ticket.fetch_or(State::kClosed, std::memory_order_acq_rel) & (State::kClosed - 1));
    uint32_t done = s.finished.load(std::memory_order_acquire);
    for (int i = 0; done != joined && i < kSpinIterations; ++i) {
        cpuRelax();
        done = s.finished.load(std::memory_order_acquire);
    }
    while (done != joined) {
        s.finished.wait(done, std::memory_order_acquire);
        done = s.finished.load(std::memory_order_acquire);
    }
    tlsInsideParallelFor = false;
}

}  // namespace parley::cpu
