// Measures main-memory read bandwidth: threads stream disjoint slices of a 1 GiB buffer (far larger
// than any cache) and sum them. Token generation on CPU is bound by this number, so it sets the
// ceiling that both our engine and llama.cpp are judged against.
//
// Usage: memory_bandwidth [THREADS...]      (default: 1 2)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace {

constexpr size_t kBufferBytes = size_t{1} << 30;
constexpr int kRepetitions = 5;

// Eight independent accumulators let the compiler vectorise and keep several loads in flight.
uint64_t sumWords(const uint64_t* words, size_t count) {
    uint64_t lanes[8] = {};
    for (size_t i = 0; i + 8 <= count; i += 8) {
        for (int lane = 0; lane < 8; ++lane)
            lanes[lane] += words[i + lane];
    }
    uint64_t total = 0;
    for (uint64_t lane : lanes)
        total += lane;
    return total;
}

// Returns the best of kRepetitions in GB/s (10^9 bytes per second).
double measure(const uint64_t* words, size_t count, int threads, uint64_t& checksum) {
    double best = 0.0;
    std::vector<uint64_t> partial(threads);
    for (int rep = 0; rep < kRepetitions; ++rep) {
        auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> workers;
        size_t slice = count / threads / 8 * 8;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] { partial[t] = sumWords(words + t * slice, slice); });
        }
        for (auto& worker : workers)
            worker.join();
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (uint64_t value : partial)
            checksum += value;
        best = std::max(best, static_cast<double>(slice * threads * sizeof(uint64_t)) / seconds);
    }
    return best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> threadCounts;
    for (int i = 1; i < argc; ++i) {
        int threads = std::atoi(argv[i]);
        if (threads < 1 || threads > 256) {
            std::fprintf(stderr, "invalid thread count '%s'\n", argv[i]);
            return 2;
        }
        threadCounts.push_back(threads);
    }
    if (threadCounts.empty())
        threadCounts = {1, 2};

    size_t count = kBufferBytes / sizeof(uint64_t);
    std::unique_ptr<uint64_t[]> words(new (std::nothrow) uint64_t[count]);
    if (!words) {
        std::fprintf(stderr, "cannot allocate %zu bytes\n", kBufferBytes);
        return 1;
    }
    // Writing every page first keeps page faults out of the timed reads.
    for (size_t i = 0; i < count; ++i)
        words[i] = i;

    uint64_t checksum = 0;
    for (int threads : threadCounts) {
        double gbPerSecond = measure(words.get(), count, threads, checksum);
        std::printf("threads=%d read_GB_per_s=%.2f\n", threads, gbPerSecond);
    }
    std::fprintf(stderr, "checksum %llu\n", static_cast<unsigned long long>(checksum));
    return 0;
}
