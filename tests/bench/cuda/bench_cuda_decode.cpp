// Decode and prefill speed of a backend (cpu or cuda) on one model, with the floors beside each
// number: bytes each step must read over the HBM bandwidth, and flops over the dense f16 peak.
//
//   bench_cuda_decode --model FILE [--backend cuda] [--bandwidth-gbs 3350] [--peak-tflops 990]
//                     [--streams 1,32,128] [--prompt 128] [--gen 128] [--prefill 2048]
//
// Prints one JSON object per measurement, then a table.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "inference/backend/compute_backend.h"
#include "inference/backend/cuda_plugin.h"

using namespace parley;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int32_t kBlock = 16;

struct Args {
    std::string model, backend = "cuda";
    double bandwidthGbs = 3350.0, peakTflops = 990.0;
    std::vector<int> streams = {1, 32, 128};
    int prompt = 128, gen = 128, prefill = 2048;
};

bool parse(int argc, char** argv, Args& a) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--model") {
            a.model = v;
        } else if (k == "--backend") {
            a.backend = v;
        } else if (k == "--bandwidth-gbs") {
            a.bandwidthGbs = std::atof(v.c_str());
        } else if (k == "--peak-tflops") {
            a.peakTflops = std::atof(v.c_str());
        } else if (k == "--streams") {
            a.streams.clear();
            std::stringstream ss(v);
            for (std::string s; std::getline(ss, s, ',');)
                a.streams.push_back(std::atoi(s.c_str()));
        } else if (k == "--prompt") {
            a.prompt = std::atoi(v.c_str());
        } else if (k == "--gen") {
            a.gen = std::atoi(v.c_str());
        } else if (k == "--prefill") {
            a.prefill = std::atoi(v.c_str());
        } else {
            return false;
        }
    }
    return !a.model.empty() && (argc % 2) == 1;
}

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

struct Floors {
    double weightBytes;    // every matrix read once per step (the embedding row aside)
    double kvBytesPerPos;  // K and V of one cached position, all layers
    double flopsPerToken;  // 2 * matrix parameters
};

Floors floorsOf(const model::Model& m) {
    Floors f{0, 0, 0};
    for (const auto& t : m.file().tensors()) {
        if (t.nDims < 2 || t.name == "token_embd.weight")
            continue;
        f.weightBytes += double(t.bytes);
        f.flopsPerToken += 2.0 * double(t.elements());
    }
    const auto& hp = m.hparams();
    f.kvBytesPerPos = 2.0 * 2.0 * hp.nLayer * hp.kvDim();
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    if (!parse(argc, argv, a)) {
        std::fprintf(stderr,
                     "usage: bench_cuda_decode --model FILE [--backend cpu|cuda] "
                     "[--bandwidth-gbs G] [--peak-tflops T] [--streams 1,32,128] "
                     "[--prompt N] [--gen N] [--prefill N]\n");
        return 2;
    }
    auto loaded = model::Model::load(a.model);
    if (!loaded) {
        std::fprintf(stderr, "error: %s\n", loaded.error().message.c_str());
        return 1;
    }
    const model::Model& m = **loaded;
    const int32_t nVocab = m.hparams().nVocab;
    const int maxStreams = *std::max_element(a.streams.begin(), a.streams.end());
    const int32_t blocksPerStream = (a.prompt + a.gen) / kBlock + 1;
    const int32_t prefillBlocks = a.prefill / kBlock + 1;

    backend::BackendOptions options;
    options.kvBlocks = std::max(maxStreams * blocksPerStream, prefillBlocks);
    options.maxBatchTokens = std::max({a.prefill, a.prompt, maxStreams});
    std::error_code ec;
    options.cudaPluginPath =
        backend::CudaPlugin::besideExecutable(std::filesystem::read_symlink("/proc/self/exe", ec))
            .string();
    const auto choice = backend::parseBackendChoice(a.backend);
    if (!choice) {
        std::fprintf(stderr, "error: --backend must be cpu, cuda or auto\n");
        return 2;
    }
    auto made = backend::makeBackend(*choice, m, options);
    if (!made) {
        std::fprintf(stderr, "error: %s\n", made.error().message.c_str());
        return 1;
    }
    backend::ComputeBackend& b = **made;
    const Floors floors = floorsOf(m);
    std::mt19937 rng(1);
    std::uniform_int_distribution<int32_t> anyToken(3, nVocab - 1);
    model::ForwardOutput out;
    std::vector<std::string> table;

    for (int n : a.streams) {
        std::vector<std::vector<int32_t>> tables(n);
        for (int s = 0; s < n; ++s) {
            for (int32_t i = 0; i < blocksPerStream; ++i)
                tables[s].push_back(s * blocksPerStream + i);
            std::vector<int32_t> prompt(a.prompt);
            for (auto& t : prompt)
                t = anyToken(rng);
            const model::SequenceStep step{prompt, 0, tables[s], model::LogitsWanted::Last};
            if (auto st = b.forward({&step, 1}, out); !st) {
                std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
                return 1;
            }
        }
        std::vector<int32_t> tokens(n);
        for (auto& t : tokens)
            t = anyToken(rng);
        std::vector<model::SequenceStep> batch(n);
        // Two warm-up steps (graph capture), then the timed ones.
        const int warm = 2;
        Clock::time_point start;
        for (int g = 0; g < a.gen; ++g) {
            if (g == warm)
                start = Clock::now();
            for (int s = 0; s < n; ++s)
                batch[s] = {{&tokens[s], 1}, a.prompt + g, tables[s], model::LogitsWanted::Last};
            if (auto st = b.forward(batch, out); !st) {
                std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
                return 1;
            }
            for (int s = 0; s < n; ++s)
                tokens[s] = int32_t(std::max_element(&out.logits[std::size_t(s) * nVocab],
                                                     &out.logits[std::size_t(s + 1) * nVocab]) -
                                    &out.logits[std::size_t(s) * nVocab]);
        }
        const double t = seconds(start, Clock::now());
        const int steps = a.gen - warm;
        const double stepS = t / steps;
        const double meanContext = a.prompt + warm + steps / 2.0;
        const double bytes = floors.weightBytes + n * meanContext * floors.kvBytesPerPos;
        const double bwFloor = bytes / (a.bandwidthGbs * 1e9);
        const double flopFloor = n * floors.flopsPerToken / (a.peakTflops * 1e12);
        const double floorS = std::max(bwFloor, flopFloor);
        std::printf(
            "{\"bench\":\"decode\",\"backend\":\"%s\",\"streams\":%d,\"tokens_per_s\":%.1f,"
            "\"step_ms\":%.3f,\"bandwidth_floor_ms\":%.3f,\"flops_floor_ms\":%.3f,"
            "\"of_floor\":%.3f}\n",
            a.backend.c_str(), n, n / stepS, stepS * 1e3, bwFloor * 1e3, flopFloor * 1e3,
            floorS / stepS);
        char line[256];
        std::snprintf(line, sizeof line,
                      "decode x%-4d %10.1f tok/s  step %8.3f ms  floor %8.3f ms  %5.1f%%", n,
                      n / stepS, stepS * 1e3, floorS * 1e3, 100 * floorS / stepS);
        table.push_back(line);
    }

    if (a.prefill > 0) {
        std::vector<int32_t> prompt(a.prefill), blocks(prefillBlocks);
        for (auto& t : prompt)
            t = anyToken(rng);
        std::iota(blocks.begin(), blocks.end(), 0);
        std::vector<double> times;
        for (int r = 0; r < 4; ++r) {
            const model::SequenceStep step{prompt, 0, blocks, model::LogitsWanted::Last};
            const auto s = Clock::now();
            if (auto st = b.forward({&step, 1}, out); !st) {
                std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
                return 1;
            }
            if (r > 0)  // the first run warms up (cuBLAS heuristics, allocations)
                times.push_back(seconds(s, Clock::now()));
        }
        std::sort(times.begin(), times.end());
        const double t = times[times.size() / 2];
        const auto& hp = m.hparams();
        const double attentionFlops =
            2.0 * 2.0 * hp.nLayer * double(hp.qDim()) * a.prefill * a.prefill / 2.0;
        const double flopFloor =
            (a.prefill * floors.flopsPerToken + attentionFlops) / (a.peakTflops * 1e12);
        const double bwFloor = floors.weightBytes / (a.bandwidthGbs * 1e9);
        const double floorS = std::max(flopFloor, bwFloor);
        std::printf(
            "{\"bench\":\"prefill\",\"backend\":\"%s\",\"tokens\":%d,\"tokens_per_s\":%.1f,"
            "\"ms\":%.3f,\"flops_floor_ms\":%.3f,\"bandwidth_floor_ms\":%.3f,"
            "\"of_floor\":%.3f}\n",
            a.backend.c_str(), a.prefill, a.prefill / t, t * 1e3, flopFloor * 1e3, bwFloor * 1e3,
            floorS / t);
        char line[256];
        std::snprintf(line, sizeof line,
                      "prefill %-5d %10.1f tok/s  time %8.3f ms  floor %8.3f ms  %5.1f%%",
                      a.prefill, a.prefill / t, t * 1e3, floorS * 1e3, 100 * floorS / t);
        table.push_back(line);
    }
    for (const auto& line : table)
        std::printf("%s\n", line.c_str());
    return 0;
}
