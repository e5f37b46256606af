#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "inference/cpu/interleaved_weights.h"
#include "inference/cpu/matmul.h"
#include "inference/quant/dequantize.h"

using parley::cpu::Isa;
using parley::cpu::ThreadPool;
using parley::cpu::WeightMatrix;
using parley::quant::GgmlType;

namespace {

// Byte offsets of the fp16 scale fields (d, m, dmin) of each block type, so random blocks can
// get finite, realistic scales while every other byte (quants, high bits, packed K scales) is
// uniformly random.
std::vector<int> scaleFieldOffsets(GgmlType type) {
    switch (type) {
        case GgmlType::Q4_0:
        case GgmlType::Q5_0:
        case GgmlType::Q8_0:
            return {0};
        case GgmlType::Q4_1:
        case GgmlType::Q5_1:
        case GgmlType::Q4_K:
        case GgmlType::Q5_K:
            return {0, 2};
        case GgmlType::Q6_K:
            return {208};
        default:
            return {};
    }
}

struct RandomMatrix {
    std::vector<uint8_t> bytes;
    WeightMatrix w;
};

RandomMatrix randomMatrix(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
    const auto& traits = parley::quant::typeTraits(type);
    RandomMatrix m;
    m.w.type = type;
    m.w.rows = rows;
    m.w.cols = cols;
    m.w.rowBytes = *parley::quant::rowBytes(type, static_cast<uint64_t>(cols));
    m.bytes.resize(m.w.rowBytes * static_cast<size_t>(rows));
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
    if (type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16) {
        const int64_t n = rows * cols;
        for (int64_t i = 0; i < n; ++i) {
            const float v = value(rng);
            if (type == GgmlType::F32) {
                std::memcpy(m.bytes.data() + 4 * i, &v, 4);
            } else {
                const uint16_t h = type == GgmlType::F16 ? parley::quant::f32ToF16(v)
                                                         : parley::quant::f32ToBf16(v);
                std::memcpy(m.bytes.data() + 2 * i, &h, 2);
            }
        }
    } else {
        for (auto& b : m.bytes)
            b = static_cast<uint8_t>(byte(rng));
        const size_t blocks = m.bytes.size() / traits.blockBytes;
        for (size_t b = 0; b < blocks; ++b) {
            for (int offset : scaleFieldOffsets(type)) {
                const uint16_t h = parley::quant::f32ToF16(scale(rng));
                std::memcpy(m.bytes.data() + b * traits.blockBytes + offset, &h, 2);
            }
        }
    }
    m.w.data = m.bytes.data();
    return m;
}

std::vector<float> randomActivations(int64_t n, std::mt19937& rng) {
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x)
        v = dist(rng);
    x[0] = 9.0f;  // an outlier, as real activations have
    return x;
}

struct Reference {
    std::vector<double> y;
    std::vector<double> bound;  // largest error 8-bit activation quantisation can cause, per output
    std::vector<double> magnitude;  // sum of |w_i x_i|, per output
};

// Double-precision products of the dequantised weights with the unquantised activations.
Reference reference(const WeightMatrix& w, const std::vector<float>& x, int64_t tokens, int block) {
    Reference ref;
    const auto outputs = static_cast<size_t>(tokens * w.rows);
    ref.y.resize(outputs);
    ref.bound.resize(outputs);
    ref.magnitude.resize(outputs);
    std::vector<float> row(static_cast<size_t>(w.cols));
    for (int64_t r = 0; r < w.rows; ++r) {
        parley::cpu::getRow(w, r, row.data());
        for (int64_t t = 0; t < tokens; ++t) {
            const float* xt = x.data() + t * w.cols;
            double sum = 0.0, bound = 0.0, magnitude = 0.0;
            for (int64_t b = 0; b < w.cols; b += block) {
                double amax = 0.0;
                for (int64_t i = b; i < b + block; ++i)
                    amax = std::max(amax, std::fabs(double(xt[i])));
                for (int64_t i = b; i < b + block; ++i) {
                    sum += double(row[i]) * xt[i];
                    magnitude += std::fabs(double(row[i]) * xt[i]);
                    bound += std::fabs(double(row[i])) * amax / 254.0;  // half a quantisation step
                }
            }
            const auto at = static_cast<size_t>(t * w.rows + r);
            ref.y[at] = sum;
            ref.bound[at] = bound;
            ref.magnitude[at] = magnitude;
        }
    }
    return ref;
}

const GgmlType kTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,
                           GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                           GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

bool isFloatType(GgmlType type) {
    return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

}  // namespace

class TestMatmul : public QObject {
    Q_OBJECT
  private slots:
    void cleanup() { parley::cpu::setIsa(parley::cpu::detectedIsa()); }

    void matchesReference_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("tokens");
        const int best = static_cast<int>(parley::cpu::detectedIsa());
        for (GgmlType type : kTypes) {
            for (int isa = 0; isa <= best; ++isa) {
                for (int tokens : {1, 3, 8, 17}) {
                    QTest::addRow("%s %s tokens=%d", parley::quant::typeTraits(type).name.data(),
                                  parley::cpu::isaName(static_cast<Isa>(isa)), tokens)
                        << static_cast<int>(type) << isa << tokens;
                }
            }
        }
    }

    // Every type and ISA against the double-precision product of the dequantised weights and the
    // float activations. Quantised types: each output within the worst case of 8-bit activation
    // rounding (plus float rounding), and the whole output within 2e-2 relative L2 error (the
    // activations hold a 9-sigma outlier, which coarsens its block's quantisation step).
    // Float types: 1e-5 relative to sum |w x|.
    void matchesReference() {
        QFETCH(int, type);
        QFETCH(int, isa);
        QFETCH(int, tokens);
        const auto weightType = static_cast<GgmlType>(type);
        parley::cpu::setIsa(static_cast<Isa>(isa));
        QCOMPARE(static_cast<int>(parley::cpu::activeIsa()), isa);

        std::mt19937 rng(1234u + static_cast<unsigned>(type * 100 + tokens));
        const bool kQuant = parley::quant::typeTraits(weightType).blockElements == 256;
        const int64_t cols = isFloatType(weightType) ? 75 : kQuant ? 512 : 160;
        const int64_t rows = 37;  // not a multiple of any row tile
        const RandomMatrix m = randomMatrix(weightType, rows, cols, rng);
        const std::vector<float> x = randomActivations(cols * tokens, rng);
        const int block = isFloatType(weightType) ? 1 : kQuant ? 256 : 32;
        const Reference ref = reference(m.w, x, tokens, block);

        ThreadPool pool(isa == 0 ? 1 : 2);
        std::vector<float> y(static_cast<size_t>(rows * tokens), NAN);
        parley::cpu::matmul(m.w, x.data(), tokens, y.data(), pool);

        double errorSquares = 0.0, refSquares = 0.0;
        for (size_t i = 0; i < y.size(); ++i) {
            const double error = std::fabs(double(y[i]) - ref.y[i]);
            const double allowed = isFloatType(weightType)
                                       ? 1e-5 * ref.magnitude[i] + 1e-30
                                       : 1.01 * ref.bound[i] + 1e-5 * ref.magnitude[i];
            if (!(error <= allowed)) {  // also catches NaN
                QFAIL(qPrintable(QStringLiteral("output %1: got %2, expected %3, allowed error %4")
                                     .arg(i)
                                     .arg(y[i])
                                     .arg(ref.y[i])
                                     .arg(allowed)));
            }
            errorSquares += error * error;
            refSquares += ref.y[i] * ref.y[i];
        }
        const double relative = std::sqrt(errorSquares / refSquares);
        QVERIFY2(relative <= (isFloatType(weightType) ? 1e-5 : 2e-2),
                 qPrintable(QStringLiteral("relative L2 error %1").arg(relative)));
    }

    // The SIMD paths compute the same integer sums as the scalar path; only float summation
    // order differs, so they agree far more closely than either agrees with the reference.
    void simdAgreesWithScalar() {
        const int best = static_cast<int>(parley::cpu::detectedIsa());
        if (best == 0)
            QSKIP("no SIMD path on this machine");
        std::mt19937 rng(99);
        ThreadPool pool(3);
        for (GgmlType type : kTypes) {
            const bool kQuant = parley::quant::typeTraits(type).blockElements == 256;
            const int64_t cols = kQuant ? 1536 : 576, rows = 45, tokens = 9;
            const RandomMatrix m = randomMatrix(type, rows, cols, rng);
            const std::vector<float> x = randomActivations(cols * tokens, rng);
            std::vector<float> scalar(static_cast<size_t>(rows * tokens));
            parley::cpu::setIsa(Isa::Scalar);
            parley::cpu::matmul(m.w, x.data(), tokens, scalar.data(), pool);
            for (int isa = 1; isa <= best; ++isa) {
                parley::cpu::setIsa(static_cast<Isa>(isa));
                std::vector<float> y(scalar.size(), NAN);
                parley::cpu::matmul(m.w, x.data(), tokens, y.data(), pool);
                double norm = 0.0;
                for (float v : scalar)
                    norm += double(v) * v;
                norm = std::sqrt(norm / double(scalar.size()));
                for (size_t i = 0; i < y.size(); ++i) {
                    if (!(std::fabs(double(y[i]) - scalar[i]) <= 1e-4 * norm))
                        QFAIL(qPrintable(QStringLiteral("%1 on %2, output %3: %4 vs scalar %5")
                                             .arg(parley::quant::typeTraits(type).name.data())
                                             .arg(parley::cpu::isaName(static_cast<Isa>(isa)))
                                             .arg(i)
                                             .arg(y[i])
                                             .arg(scalar[i])));
                }
            }
        }
    }

    // Decoding several streams at once must not change any stream's tokens: for the quantised
    // types every ISA and every batch size (1..16 tokens: the row tiles, their token remainders
    // and the interleaved small-batch kernel) gives each token exactly the scalar path's output,
    // which is also what the token gets alone.
    void batchedOutputsAreBitIdentical() {
        const GgmlType quantTypes[] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                                       GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q4_K,
                                       GgmlType::Q5_K, GgmlType::Q6_K};
        constexpr int64_t kMaxTokens = 16;
        std::mt19937 rng(2024);
        ThreadPool pool(2);
        for (GgmlType type : quantTypes) {
            const bool kQuant = parley::quant::typeTraits(type).blockElements == 256;
            // 45 rows: two 16-row groups and a partial one, 4-row tiles and a single-row tail;
            // 18 blocks (576 columns): a partial group of four partial sums.
            const int64_t cols = kQuant ? 768 : 576, rows = 45;
            const RandomMatrix m = randomMatrix(type, rows, cols, rng);
            const std::vector<float> x = randomActivations(cols * kMaxTokens, rng);
            std::vector<float> scalar(static_cast<size_t>(rows * kMaxTokens));
            parley::cpu::setIsa(Isa::Scalar);
            parley::cpu::matmul(m.w, x.data(), kMaxTokens, scalar.data(), pool);
            for (int isa = 0; isa <= static_cast<int>(parley::cpu::detectedIsa()); ++isa) {
                parley::cpu::setIsa(static_cast<Isa>(isa));
                for (int64_t tokens = 1; tokens <= kMaxTokens; ++tokens) {
                    std::vector<float> y(static_cast<size_t>(rows * tokens), NAN);
                    parley::cpu::matmul(m.w, x.data(), tokens, y.data(), pool);
                    for (size_t i = 0; i < y.size(); ++i) {
                        if (std::memcmp(&y[i], &scalar[i], sizeof(float)) != 0)
                            QFAIL(qPrintable(
                                QStringLiteral("%1 on %2, %3 tokens, output %4: %5 vs scalar %6")
                                    .arg(parley::quant::typeTraits(type).name.data())
                                    .arg(parley::cpu::isaName(static_cast<Isa>(isa)))
                                    .arg(tokens)
                                    .arg(i)
                                    .arg(double(y[i]), 0, 'g', 9)
                                    .arg(double(scalar[i]), 0, 'g', 9)));
                    }
                }
                for (int64_t t = 0; t < kMaxTokens; ++t) {
                    std::vector<float> alone(static_cast<size_t>(rows), NAN);
                    parley::cpu::matmul(m.w, x.data() + t * cols, 1, alone.data(), pool);
                    QVERIFY(std::memcmp(alone.data(), scalar.data() + t * rows,
                                        alone.size() * sizeof(float)) == 0);
                }
            }
        }
    }

    // Several weights multiplied with the same activations in one call give, bit for bit, what
    // one call per weight gives, also when their types need different activations (Q4_1 pairs
    // with Q8_1 sums, Q8_0 does not; Q6_K reads Q8_K) and for row counts not in 16s.
    void sharedActivationTargetsEqualSeparateCalls() {
        struct Shape {
            GgmlType type;
            int64_t rows;
        };
        const Shape shapes[] = {{GgmlType::Q4_1, 45}, {GgmlType::Q4_1, 16}, {GgmlType::Q8_0, 33},
                                {GgmlType::Q6_K, 20}, {GgmlType::Q4_1, 7},  {GgmlType::F16, 5}};
        constexpr int64_t cols = 768;
        std::mt19937 rng(77);
        ThreadPool pool(2);
        std::vector<RandomMatrix> matrices;
        for (const Shape& s : shapes)
            matrices.push_back(randomMatrix(s.type, s.rows, cols, rng));
        for (int64_t tokens : {1, 3, 8}) {
            const std::vector<float> x = randomActivations(cols * tokens, rng);
            std::vector<std::vector<float>> together(matrices.size());
            std::vector<parley::cpu::MatmulTarget> targets;
            for (size_t i = 0; i < matrices.size(); ++i) {
                together[i].assign(static_cast<size_t>(matrices[i].w.rows * tokens), NAN);
                targets.push_back({&matrices[i].w, together[i].data()});
            }
            parley::cpu::matmul(targets, x.data(), tokens, pool);
            for (size_t i = 0; i < matrices.size(); ++i) {
                std::vector<float> alone(together[i].size(), NAN);
                parley::cpu::matmul(matrices[i].w, x.data(), tokens, alone.data(), pool);
                QVERIFY2(std::memcmp(alone.data(), together[i].data(),
                                     alone.size() * sizeof(float)) == 0,
                         qPrintable(QStringLiteral("target %1, %2 tokens").arg(i).arg(tokens)));
            }
        }
    }

    // A matrix interleaved at load gives, bit for bit, what its GGUF rows give: on every ISA (the
    // VNNI kernel reading the layout, the others turning groups back into rows), for 1..20
    // tokens, alone and next to other weights in one call.
    void interleavedOutputsAreBitIdentical() {
        constexpr int64_t kMaxTokens = 20;
        std::mt19937 rng(4096);
        ThreadPool pool(2);
        for (GgmlType type : {GgmlType::Q4_1, GgmlType::Q8_0}) {
            // 3 groups of 16 rows, 18 blocks.
            const int64_t cols = 576, rows = 48;
            const RandomMatrix m = randomMatrix(type, rows, cols, rng);
            WeightMatrix interleaved = m.w;
            const parley::cpu::InterleavedCopy copy = parley::cpu::interleave(interleaved);
            QVERIFY(copy != nullptr && interleaved.interleaved == copy.get());
            QVERIFY(interleaved.data == m.w.data);
            const std::vector<float> x = randomActivations(cols * kMaxTokens, rng);
            std::vector<float> expected(static_cast<size_t>(rows * kMaxTokens));
            parley::cpu::setIsa(Isa::Scalar);
            parley::cpu::matmul(m.w, x.data(), kMaxTokens, expected.data(), pool);
            for (int isa = 0; isa <= static_cast<int>(parley::cpu::detectedIsa()); ++isa) {
                parley::cpu::setIsa(static_cast<Isa>(isa));
                for (int64_t tokens = 1; tokens <= kMaxTokens; ++tokens) {
                    std::vector<float> y(static_cast<size_t>(rows * tokens), NAN);
                    parley::cpu::matmul(interleaved, x.data(), tokens, y.data(), pool);
                    QVERIFY2(std::memcmp(y.data(), expected.data(), y.size() * sizeof(float)) == 0,
                             qPrintable(QStringLiteral("%1 on %2, %3 tokens")
                                            .arg(parley::quant::typeTraits(type).name.data())
                                            .arg(parley::cpu::isaName(static_cast<Isa>(isa)))
                                            .arg(tokens)));
                }
                std::vector<float> qkv(static_cast<size_t>(rows * 3), NAN);
                std::vector<float> rowMajor(static_cast<size_t>(rows * 3), NAN);
                const parley::cpu::MatmulTarget targets[] = {{&m.w, rowMajor.data()},
                                                             {&interleaved, qkv.data()}};
                parley::cpu::matmul(targets, x.data(), 3, pool);
                QVERIFY(std::memcmp(qkv.data(), expected.data(), qkv.size() * sizeof(float)) == 0);
                QVERIFY(qkv == rowMajor);
            }
        }
    }

    // Embedding look-ups read the interleaved copy: every row decodes as from the GGUF rows, and
    // de-interleaving gives back the GGUF bytes.
    void interleavedRowsDecodeAsTheOriginal() {
        std::mt19937 rng(512);
        for (GgmlType type : {GgmlType::Q4_1, GgmlType::Q8_0}) {
            const int64_t cols = 96, rows = 32;
            const RandomMatrix m = randomMatrix(type, rows, cols, rng);
            WeightMatrix interleaved = m.w;
            const parley::cpu::InterleavedCopy copy = parley::cpu::interleave(interleaved);
            QVERIFY(copy != nullptr);
            QVERIFY(std::memcmp(copy.get(), m.bytes.data(), m.bytes.size()) != 0);
            std::vector<float> original(static_cast<size_t>(cols)), decoded(original.size());
            std::vector<uint8_t> bytes(m.w.rowBytes);
            for (int64_t r = 0; r < rows; ++r) {
                parley::cpu::getRow(m.w, r, original.data());
                parley::cpu::getRow(interleaved, r, decoded.data());
                QVERIFY(original == decoded);
                parley::cpu::deinterleaveRow(interleaved, r, bytes.data());
                QVERIFY(std::memcmp(bytes.data(), m.bytes.data() + r * m.w.rowBytes,
                                    bytes.size()) == 0);
            }
        }
    }

    // Only Q4_1 and Q8_0 matrices in whole 16-row groups are interleaved; others stay as they are.
    void otherMatricesAreNotInterleaved() {
        std::mt19937 rng(8);
        struct Case {
            GgmlType type;
            int64_t rows;
        };
        for (const Case c : {Case{GgmlType::Q4_1, 45}, Case{GgmlType::Q8_0, 40},
                             Case{GgmlType::Q4_0, 32}, Case{GgmlType::Q6_K, 32}}) {
            const bool kQuant = parley::quant::typeTraits(c.type).blockElements == 256;
            RandomMatrix m = randomMatrix(c.type, c.rows, kQuant ? 256 : 64, rng);
            QVERIFY(!parley::cpu::interleavable(m.w));
            QVERIFY(parley::cpu::interleave(m.w) == nullptr);
            QVERIFY(m.w.interleaved == nullptr);
        }
    }

    // llama.cpp's K-quant orders by the number of tokens multiplied together (matmul.h).
    void kQuantOrderFollowsTheBatchSize() {
        using parley::cpu::kQuantOrder;
        QVERIFY(!kQuantOrder(0, 1).q4kSlices && !kQuantOrder(0, 1).q6kBlocks);
        QVERIFY(!kQuantOrder(2, 3).q4kSlices);
        QVERIFY(kQuantOrder(3, 4).q4kSlices);
        QVERIFY(kQuantOrder(3, 6).q4kSlices && !kQuantOrder(4, 6).q4kSlices);
        QVERIFY(!kQuantOrder(6, 7).q6kBlocks && kQuantOrder(0, 8).q6kBlocks);
        QVERIFY(kQuantOrder(7, 9).q4kSlices && !kQuantOrder(8, 9).q4kSlices);
    }

    // With per-token orders (the steps of several sequences in one call) every ISA and every kernel
    // shape still gives each token exactly the scalar path's output for its order, and the orders
    // do change the rounding (otherwise they would not be needed to match llama.cpp).
    void orderedOutputsAreBitIdentical() {
        using parley::cpu::KQuantOrder;
        const GgmlType kTypes256[] = {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
        constexpr int64_t kMaxTokens = 20;
        std::mt19937 rng(77);
        ThreadPool pool(2);
        for (GgmlType type : kTypes256) {
            const int64_t cols = 1024, rows = 45;
            const RandomMatrix m = randomMatrix(type, rows, cols, rng);
            const std::vector<float> x = randomActivations(cols * kMaxTokens, rng);
            bool ordersMatter = false;
            for (int64_t tokens = 1; tokens <= kMaxTokens; ++tokens) {
                // One step of `tokens`, then two sequences sharing the call (a prefill chunk and a
                // decode step), then one-token steps only (batched decode).
                for (int layout = 0; layout < 3; ++layout) {
                    std::vector<KQuantOrder> orders(static_cast<size_t>(tokens));
                    const int64_t split = layout == 1 ? tokens - 1 : tokens;
                    for (int64_t t = 0; t < tokens; ++t) {
                        orders[t] = layout == 2 ? parley::cpu::kQuantOrder(0, 1)
                                    : t < split ? parley::cpu::kQuantOrder(t, split)
                                                : parley::cpu::kQuantOrder(t - split, 1);
                    }
                    parley::cpu::setIsa(Isa::Scalar);
                    std::vector<float> scalar(static_cast<size_t>(rows * tokens));
                    parley::cpu::matmul(m.w, x.data(), tokens, scalar.data(), pool, orders.data());
                    std::vector<float> alone(scalar.size());
                    parley::cpu::matmul(m.w, x.data(), tokens, alone.data(), pool);
                    ordersMatter = ordersMatter || alone != scalar;
                    for (int isa = 1; isa <= static_cast<int>(parley::cpu::detectedIsa()); ++isa) {
                        parley::cpu::setIsa(static_cast<Isa>(isa));
                        std::vector<float> y(scalar.size(), NAN);
                        parley::cpu::matmul(m.w, x.data(), tokens, y.data(), pool, orders.data());
                        for (size_t i = 0; i < y.size(); ++i) {
                            if (std::memcmp(&y[i], &scalar[i], sizeof(float)) != 0)
                                QFAIL(qPrintable(
                                    QStringLiteral("%1 on %2, %3 tokens, layout %4, output %5: %6 "
                                                   "vs scalar %7")
                                        .arg(parley::quant::typeTraits(type).name.data())
                                        .arg(parley::cpu::isaName(static_cast<Isa>(isa)))
                                        .arg(tokens)
                                        .arg(layout)
                                        .arg(i)
                                        .arg(double(y[i]), 0, 'g', 9)
                                        .arg(double(scalar[i]), 0, 'g', 9)));
                        }
                    }
                }
            }
            QVERIFY2(ordersMatter, parley::quant::typeTraits(type).name.data());
        }
    }

    void setIsaIsClampedToTheMachine() {
        parley::cpu::setIsa(Isa::Avx512Vnni);
        QCOMPARE(parley::cpu::activeIsa(), parley::cpu::detectedIsa());
        parley::cpu::setIsa(Isa::Scalar);
        QCOMPARE(parley::cpu::activeIsa(), Isa::Scalar);
    }

    void getRowDecodesOneRow() {
        std::mt19937 rng(5);
        const RandomMatrix m = randomMatrix(GgmlType::Q6_K, 4, 256, rng);
        std::vector<float> row(256), expected(256);
        parley::cpu::getRow(m.w, 2, row.data());
        parley::quant::dequantizeRow(GgmlType::Q6_K, m.bytes.data() + 2 * m.w.rowBytes,
                                     expected.data(), 256);
        QCOMPARE(row, expected);
    }

    void unsupportedTypeGivesNaN() {
        std::vector<uint8_t> bytes(84 * 2, 0);
        WeightMatrix w{GgmlType::Q2_K, bytes.data(), 256, 2, 84};
        std::vector<float> x(256, 1.0f), y(2, 0.0f);
        ThreadPool pool(1);
        parley::cpu::matmul(w, x.data(), 1, y.data(), pool);
        QVERIFY(std::isnan(y[0]) && std::isnan(y[1]));
    }
};

QTEST_GUILESS_MAIN(TestMatmul)
#include "test_matmul.moc"
