// bench_matmul [--types Q4_1,Q8_0,...] [--isa scalar|avx2|avx512vnni] [--threads 1,2]
//              [--seconds S] [--batch 1,2,4,8,16] [--layout rows,interleaved]
// Decode: one token through a stack of layers on SmolLM2-135M shapes (K-quants: Gemma-3-270M
// shapes, whose rows are multiples of 256) sized past the last-level cache, reported as GB/s
// of weight bytes; plus the 49152 x 576 Q8_0 LM head. Prefill: 512 tokens through one layer,
// reported as GFLOP/s (2 * rows * cols * tokens). --batch: instead, a decode step of B tokens
// (B concurrent streams) through the same stack, as milliseconds per step and the step's cost
// relative to B single-token steps (1.0 = no gain from batching, 1/B = free). --layout: the GGUF
// rows (default) and/or the copy interleaved at load (Q4_1 and Q8_0 in 16-row groups; other types
// and shapes stay rows).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/cpu/interleaved_weights.h"
#include "inference/cpu/matmul.h"
#include "inference/quant/dequantize.h"

using namespace parley;
using quant::GgmlType;

namespace {

struct Shape {
    int64_t rows;
    int64_t cols;
};

// One transformer layer's matrices (q, k, v, o, gate, up, down) of SmolLM2-135M. K-quant rows
// must be multiples of 256 columns, so K-quants use the tensors that are K-quants in the real
// Q4_K_M files: Gemma-3-270M attn_output and ffn_down, SmolLM2 ffn_down.
std::vector<Shape> layerShapes(GgmlType type) {
    if (quant::typeTraits(type).blockElements == 256)
        return {{640, 1024}, {640, 2048}, {576, 1536}};
    return {{576, 576}, {192, 576}, {192, 576}, {576, 576}, {1536, 576}, {1536, 576}, {576, 1536}};
}

struct Matrix {
    std::vector<uint8_t> bytes;
    cpu::WeightMatrix w;
    cpu::InterleavedCopy interleaved;  // made when --layout asks for it

    void useLayout(bool interleave) {
        if (interleave && interleaved == nullptr)
            interleaved = cpu::interleave(w);
        w.interleaved = interleave ? interleaved.get() : nullptr;
    }
};

Matrix randomMatrix(GgmlType type, Shape shape, std::mt19937& rng) {
    Matrix m;
    m.w.type = type;
    m.w.rows = shape.rows;
    m.w.cols = shape.cols;
    m.w.rowBytes = *quant::rowBytes(type, static_cast<uint64_t>(shape.cols));
    m.bytes.resize(m.w.rowBytes * static_cast<size_t>(shape.rows));
    // Random bytes with every 16-bit word a small finite half/bfloat: valid scales for every
    // block type and finite float weights.
    std::uniform_int_distribution<int> byte(0, 255);
    for (size_t i = 0; i < m.bytes.size(); ++i)
        m.bytes[i] = static_cast<uint8_t>(i % 2 == 1 ? 0x20 + byte(rng) % 0x10 : byte(rng));
    if (type == GgmlType::F32) {
        std::uniform_real_distribution<float> v(-1, 1);
        for (size_t i = 0; i + 4 <= m.bytes.size(); i += 4) {
            const float f = v(rng);
            std::memcpy(&m.bytes[i], &f, 4);
        }
    }
    m.w.data = m.bytes.data();
    return m;
}

std::vector<float> randomFloats(size_t n, std::mt19937& rng) {
    std::normal_distribution<float> d(0, 1);
    std::vector<float> v(n);
    for (auto& x : v)
        x = d(rng);
    return v;
}

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Times each of `count` calls of body(i) over repeated passes (for `seconds`, at least two)
// and returns the sum of each call's fastest time. The machine is shared: taking minima per
// call filters out the time slices other processes take, which whole-pass timing cannot.
template <class Body>
double sumOfFastest(size_t count, double seconds, Body body) {
    std::vector<double> best(count, 1e30);
    for (size_t i = 0; i < count; ++i)
        body(i);  // warm-up: page faults, buffers
    const double start = now();
    for (int pass = 0; pass < 2 || now() - start < seconds; ++pass) {
        for (size_t i = 0; i < count; ++i) {
            const double t0 = now();
            body(i);
            best[i] = std::min(best[i], now() - t0);
        }
    }
    double total = 0;
    for (double t : best)
        total += t;
    return total;
}

const char* layoutName(bool interleaved) {
    return interleaved ? "interleaved" : "rows";
}

// The weight layouts, ISAs and thread counts asked for on the command line.
struct Setups {
    std::vector<bool> layouts;
    std::vector<cpu::Isa> isas;
    std::vector<int> threadCounts;

    // body(interleaved, isa, threads, pool) for every combination, `matrices` switched to the
    // layout (and the ISA set) first.
    template <class Body>
    void forEach(std::span<Matrix> matrices, Body body) const {
        for (bool interleave : layouts) {
            for (Matrix& m : matrices)
                m.useLayout(interleave);
            for (cpu::Isa isa : isas) {
                cpu::setIsa(isa);
                for (int threads : threadCounts) {
                    cpu::ThreadPool pool(threads);
                    body(interleave, isa, threads, pool);
                }
            }
        }
    }
};

std::vector<std::string> split(std::string_view s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        const size_t comma = std::min(s.find(',', start), s.size());
        out.emplace_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> typeNames = {"F32",  "F16",  "BF16", "Q4_0", "Q4_1", "Q5_0",
                                          "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"};
    std::vector<cpu::Isa> isas;
    for (int i = 0; i <= static_cast<int>(cpu::detectedIsa()); ++i)
        isas.push_back(static_cast<cpu::Isa>(i));
    std::vector<int> threadCounts = {1, 2};
    double seconds = 1.0;
    std::vector<int> batches;
    std::vector<bool> layouts = {false};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i], value = argv[i + 1];
        if (flag == "--types") {
            typeNames = split(value);
        } else if (flag == "--isa") {
            isas.clear();
            for (const auto& name : split(value)) {
                for (int k = 0; k <= static_cast<int>(cpu::detectedIsa()); ++k) {
                    if (name == cpu::isaName(static_cast<cpu::Isa>(k)))
                        isas.push_back(static_cast<cpu::Isa>(k));
                }
            }
        } else if (flag == "--threads") {
            threadCounts.clear();
            for (const auto& n : split(value))
                threadCounts.push_back(std::stoi(n));
        } else if (flag == "--batch") {
            for (const auto& n : split(value))
                batches.push_back(std::stoi(n));
        } else if (flag == "--layout") {
            layouts.clear();
            for (const auto& layout : split(value))
                layouts.push_back(layout == "interleaved");
        } else if (flag == "--seconds") {
            seconds = std::stod(std::string(value));
        } else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    const Setups setups{layouts, isas, threadCounts};

    std::mt19937 rng(42);
    constexpr int64_t kPrefillTokens = 512;
    constexpr size_t kDecodeBytesTarget = 96u << 20;  // past a 32 MiB L3
    std::printf("%-5s %-11s %-11s %3s %12s %16s\n", "type", "layout", "isa", "thr", "decode GB/s",
                "prefill GFLOP/s");
    for (const auto& name : typeNames) {
        GgmlType type = GgmlType::F32;
        bool known = false;
        for (uint32_t id = 0; id < 64; ++id) {
            const auto traits = quant::typeTraits(id);
            if (traits && traits->name == name && traits->computeSupported) {
                type = traits->type;
                known = true;
            }
        }
        if (!known) {
            std::fprintf(stderr, "unsupported type %s\n", name.c_str());
            return 2;
        }
        const std::vector<Shape> shapes = layerShapes(type);
        std::vector<Matrix> stack;
        size_t stackBytes = 0;
        while (stackBytes < kDecodeBytesTarget) {
            for (Shape s : shapes) {
                stack.push_back(randomMatrix(type, s, rng));
                stackBytes += stack.back().bytes.size();
            }
        }
        int64_t maxDim = 0;
        for (Shape s : shapes)
            maxDim = std::max({maxDim, s.rows, s.cols});
        const std::vector<float> x =
            randomFloats(static_cast<size_t>(maxDim * kPrefillTokens), rng);
        std::vector<float> y(static_cast<size_t>(maxDim * kPrefillTokens));
        double layerFlops = 0;
        for (Shape s : shapes)
            layerFlops += 2.0 * double(s.rows) * double(s.cols) * kPrefillTokens;

        if (!batches.empty()) {
            setups.forEach(stack, [&](bool interleave, cpu::Isa isa, int threads,
                                      cpu::ThreadPool& pool) {
                double single = 0;
                for (int batch : batches) {
                    const double step = sumOfFastest(stack.size(), seconds, [&](size_t i) {
                        cpu::matmul(stack[i].w, x.data(), batch, y.data(), pool);
                    });
                    if (batch == 1)
                        single = step;
                    std::printf("%-5s %-11s %-11s %3d batch %2d: %8.3f ms/step", name.c_str(),
                                layoutName(interleave), cpu::isaName(isa), threads, batch,
                                step * 1e3);
                    if (single > 0)
                        std::printf("  %.3f of %d single steps", step / (single * batch), batch);
                    std::printf("\n");
                    std::fflush(stdout);
                }
            });
            continue;
        }
        setups.forEach(
            stack, [&](bool interleave, cpu::Isa isa, int threads, cpu::ThreadPool& pool) {
                const double decode = sumOfFastest(stack.size(), seconds, [&](size_t i) {
                    cpu::matmul(stack[i].w, x.data(), 1, y.data(), pool);
                });
                // Scalar prefill is slow: one pass is enough to know it is slow.
                const double prefill = sumOfFastest(
                    shapes.size(), isa == cpu::Isa::Scalar ? 0.0 : seconds, [&](size_t i) {
                        cpu::matmul(stack[i].w, x.data(), kPrefillTokens, y.data(), pool);
                    });
                std::printf("%-5s %-11s %-11s %3d %12.1f %16.1f\n", name.c_str(),
                            layoutName(interleave), cpu::isaName(isa), threads,
                            double(stackBytes) / decode / 1e9, layerFlops / prefill / 1e9);
                std::fflush(stdout);
            });
    }

    if (!batches.empty())
        return 0;
    // The tied Q8_0 LM head of SmolLM2 (49152 x 576): the largest single decode GEMV.
    Matrix head = randomMatrix(GgmlType::Q8_0, {49152, 576}, rng);
    const std::vector<float> hx = randomFloats(576, rng);
    std::vector<float> logits(49152);
    setups.forEach(std::span(&head, 1), [&](bool interleave, cpu::Isa isa, int threads,
                                            cpu::ThreadPool& pool) {
        const double t = sumOfFastest(
            1, seconds, [&](size_t) { cpu::matmul(head.w, hx.data(), 1, logits.data(), pool); });
        std::printf("LM head Q8_0 49152x576 %-11s %-11s %d thr: %.1f GB/s (%.2f ms)\n",
                    layoutName(interleave), cpu::isaName(isa), threads,
                    double(head.bytes.size()) / t / 1e9, t * 1e3);
    });
    return 0;
}
