// Bandwidth of the CUDA matmul kernels per weight type and batch size, on Llama-3-8B's two FFN
// shapes, against the HBM floor (weight bytes / bandwidth). Weights are random (valid scales) and
// rotated over copies larger than the L2 cache, so the numbers are HBM numbers.
//
//   bench_cuda_matmul [--bandwidth-gbs 3350] [--tokens 1,8,32,64] [--iterations 50]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "inference/backend/cuda_plugin.h"
#include "support/random_quant_weights.h"

using namespace parley;
using quant::GgmlType;

int main(int argc, char** argv) {
    double bandwidthGbs = 3350.0;
    int iterations = 50;
    std::vector<int> tokenCounts = {1, 8, 32, 64};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--bandwidth-gbs") {
            bandwidthGbs = std::atof(v.c_str());
        } else if (k == "--iterations") {
            iterations = std::atoi(v.c_str());
        } else if (k == "--tokens") {
            tokenCounts.clear();
            std::stringstream ss(v);
            for (std::string t; std::getline(ss, t, ',');)
                tokenCounts.push_back(std::atoi(t.c_str()));
        } else {
            std::fprintf(stderr,
                         "usage: bench_cuda_matmul [--bandwidth-gbs G] "
                         "[--tokens 1,8,32,64] [--iterations N]\n");
            return 2;
        }
    }
    std::error_code ec;
    auto plugin = backend::CudaPlugin::load(
        backend::CudaPlugin::besideExecutable(std::filesystem::read_symlink("/proc/self/exe", ec)));
    if (!plugin) {
        std::fprintf(stderr, "error: %s\n", plugin.error().message.c_str());
        return 1;
    }
    const GgmlType types[] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                              GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K,
                              GgmlType::Q6_K, GgmlType::F16,  GgmlType::BF16};
    const struct { int64_t rows, cols; } shapes[] = {{14336, 4096}, {4096, 14336}};
    std::mt19937 rng(7);
    char error[1024] = {};
    std::printf("%-6s %-12s %6s %10s %10s %8s\n", "type", "shape", "tokens", "ms", "GB/s",
                "of HBM");
    for (GgmlType type : types) {
        for (const auto& shape : shapes) {
            const auto bytes = test_support::randomWeights(type, shape.rows, shape.cols, rng);
            const std::size_t rowBytes = *quant::rowBytes(type, uint64_t(shape.cols));
            const ParleyCudaWeight w{uint32_t(type), bytes.data(), shape.cols, shape.rows,
                                     rowBytes};
            for (int tokens : tokenCounts) {
                float ms = 0.0f;
                if ((*plugin)->api().timeMatmul(&w, tokens, iterations, &ms, error, sizeof error) !=
                    PARLEY_CUDA_OK) {
                    std::fprintf(stderr, "error: %s\n", error);
                    return 1;
                }
                const double moved =
                    double(bytes.size()) + 4.0 * tokens * double(shape.rows + shape.cols);
                const double gbs = moved / (ms * 1e-3) / 1e9;
                std::printf("%-6s %5lldx%-6lld %6d %10.4f %10.1f %7.1f%%\n",
                            std::string(quant::typeTraits(type).name).c_str(),
                            (long long)shape.rows, (long long)shape.cols, tokens, ms, gbs,
                            100.0 * gbs / bandwidthGbs);
            }
        }
    }
    return 0;
}
