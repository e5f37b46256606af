// Each CUDA kernel against the CPU's scalar reference on fresh random inputs, through the plug-in's
// single-kernel entry points. Bounds are relative L2 errors the formats allow: f32 accumulation
// for GEMV, f16 tiles and activations for the prefill GEMM, f16 keys/values for attention. NaN
// never passes (the device output buffers are poisoned with NaN before each kernel).
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "cuda_test_support.h"
#include "inference/ops/vector_ops.h"
#include "inference/quant/dequantize.h"
#include "inference/quant/ggml_type.h"
#include "support/random_quant_weights.h"

using namespace parley;
using quant::GgmlType;

namespace {

double relativeError(const std::vector<float>& got, const std::vector<double>& want) {
    double diff = 0.0, norm = 0.0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (!std::isfinite(got[i]))
            return std::numeric_limits<double>::infinity();
        diff += (got[i] - want[i]) * (got[i] - want[i]);
        norm += want[i] * want[i];
    }
    return std::sqrt(diff / norm);
}

std::vector<double> widen(const std::vector<float>& v) {
    return {v.begin(), v.end()};
}

std::vector<float> randomFloats(std::size_t n, std::mt19937& rng, float lo = -1.0f,
                                float hi = 1.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v)
        x = d(rng);
    return v;
}

}  // namespace

class TestCudaKernels : public QObject {
    Q_OBJECT

  public:
    explicit TestCudaKernels(std::shared_ptr<backend::CudaPlugin> plugin)
        : plugin_(std::move(plugin)) {}

  private:
    const ParleyCudaApi& api() const { return plugin_->api(); }
    std::shared_ptr<backend::CudaPlugin> plugin_;
    std::mt19937 rng_{std::random_device{}()};
    char error_[1024] = {};

  private slots:
    void init() {
        if (!plugin_)
            QSKIP("no usable CUDA device");
    }

    void matmul_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("tokens");
        const GgmlType types[] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                  GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K,
                                  GgmlType::F16,  GgmlType::BF16, GgmlType::F32};
        for (GgmlType t : types) {
            for (int tokens : {1, 3, 8, 33, 64, 100}) {
                const std::string name =
                    std::string(quant::typeTraits(t).name) + " x" + std::to_string(tokens);
                QTest::newRow(name.c_str()) << int(t) << tokens;
            }
        }
    }

    void matmul() {
        QFETCH(int, type);
        QFETCH(int, tokens);
        const auto t = GgmlType(type);
        constexpr int64_t kRows = 67, kCols = 768;
        const auto bytes = test_support::randomWeights(t, kRows, kCols, rng_);
        const auto x = randomFloats(std::size_t(tokens) * kCols, rng_);
        const std::size_t rowBytes = *quant::rowBytes(t, kCols);

        std::vector<double> want(std::size_t(tokens) * kRows);
        std::vector<float> row(kCols);
        for (int64_t r = 0; r < kRows; ++r) {
            quant::dequantizeRow(t, &bytes[r * rowBytes], row.data(), kCols);
            for (int tok = 0; tok < tokens; ++tok) {
                double acc = 0.0;
                for (int64_t c = 0; c < kCols; ++c)
                    acc += double(row[c]) * x[tok * kCols + c];
                want[tok * kRows + r] = acc;
            }
        }
        std::vector<float> got(want.size(), std::numeric_limits<float>::quiet_NaN());
        const ParleyCudaWeight w{uint32_t(type), bytes.data(), kCols, kRows, rowBytes};
        QCOMPARE(api().matmul(&w, x.data(), tokens, got.data(), error_, sizeof error_),
                 int(PARLEY_CUDA_OK));
        // Up to 64 tokens: f32 products. Beyond: weights and activations in f16 for cuBLAS.
        const double bound = tokens <= 64 ? 1e-5 : 3e-3;
        const double err = relativeError(got, want);
        QVERIFY2(err < bound, qPrintable(QString("relative error %1").arg(err)));
    }

    void rmsNorm() {
        constexpr int rows = 5, n = 576;
        const auto x = randomFloats(rows * n, rng_, -3.0f, 3.0f);
        const auto w = randomFloats(n, rng_);
        std::vector<float> want(rows * n), got(rows * n, std::nanf(""));
        for (int r = 0; r < rows; ++r)
            ops::rmsNorm(&x[r * n], w.data(), n, 1e-6f, &want[r * n]);
        QCOMPARE(
            api().rmsNorm(x.data(), w.data(), rows, n, 1e-6f, got.data(), error_, sizeof error_),
            int(PARLEY_CUDA_OK));
        QVERIFY(relativeError(got, widen(want)) < 1e-5);
    }

    void rope_data() {
        QTest::addColumn<int>("style");
        QTest::addColumn<int>("nRot");
        QTest::newRow("interleaved (llama)") << int(PARLEY_ROPE_INTERLEAVED) << 64;
        QTest::newRow("half split (neox, qwen2, gemma)") << int(PARLEY_ROPE_HALF_SPLIT) << 64;
        QTest::newRow("half split, partial rotation") << int(PARLEY_ROPE_HALF_SPLIT) << 32;
    }

    void rope() {
        QFETCH(int, style);
        QFETCH(int, nRot);
        constexpr int tokens = 4, heads = 3, hd = 64;
        const std::vector<int32_t> positions = {0, 7, 300, 4000};
        const float thetaScale = std::pow(10000.0f, -2.0f / float(nRot));
        auto x = randomFloats(tokens * heads * hd, rng_);
        std::vector<float> want = x, got = x;
        for (int t = 0; t < tokens; ++t) {
            ops::rope(&want[t * heads * hd], heads, hd, nRot, positions[t], thetaScale,
                      style == PARLEY_ROPE_INTERLEAVED ? model::RopeStyle::Interleaved
                                                       : model::RopeStyle::HalfSplit);
        }
        QCOMPARE(api().rope(got.data(), tokens, heads, hd, nRot, positions.data(), thetaScale,
                            style, error_, sizeof error_),
                 int(PARLEY_CUDA_OK));
        // The angles' last bits differ (running product vs. closed form) at position 4000.
        const double err = relativeError(got, widen(want));
        QVERIFY2(err < 2e-3, qPrintable(QString("relative error %1").arg(err)));
    }

    void gatedActivation_data() {
        QTest::addColumn<int>("activation");
        QTest::addColumn<double>("bound");
        QTest::newRow("SwiGLU") << int(PARLEY_ACT_SILU) << 1e-5;
        QTest::newRow("GeGLU (tanh)") << int(PARLEY_ACT_GELU_TANH) << 1e-3;
    }

    void gatedActivation() {
        QFETCH(int, activation);
        QFETCH(double, bound);
        constexpr int n = 10000;
        const auto gate = randomFloats(n, rng_, -12.0f, 12.0f);
        const auto up = randomFloats(n, rng_);
        std::vector<float> want = gate, got = gate;
        ops::gatedActivation(want.data(), up.data(), n,
                             activation == PARLEY_ACT_SILU ? model::FfnActivation::SiLU
                                                           : model::FfnActivation::GeluTanh);
        QCOMPARE(api().gatedActivation(got.data(), up.data(), n, activation, error_, sizeof error_),
                 int(PARLEY_CUDA_OK));
        const double err = relativeError(got, widen(want));
        QVERIFY2(err < bound, qPrintable(QString("relative error %1").arg(err)));
    }

    void attention_data() {
        QTest::addColumn<int>("tokens");
        QTest::addColumn<int>("firstPosition");
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("headDim");
        QTest::addColumn<int>("nHeadKv");
        QTest::newRow("decode, one split") << 1 << 40 << 0 << 64 << 2;
        QTest::newRow("decode, split-K over 1100 positions") << 1 << 1099 << 0 << 64 << 2;
        QTest::newRow("decode, sliding window") << 1 << 700 << 300 << 64 << 2;
        QTest::newRow("prefill chunk, causal") << 37 << 0 << 0 << 64 << 2;
        QTest::newRow("prefill chunk after a cache, sliding window") << 20 << 580 << 128 << 64 << 2;
        QTest::newRow("gemma shape: head 256, 4:1 GQA, window 16") << 40 << 3 << 16 << 256 << 1;
    }

    void attention() {
        QFETCH(int, tokens);
        QFETCH(int, firstPosition);
        QFETCH(int, window);
        QFETCH(int, headDim);
        QFETCH(int, nHeadKv);
        constexpr int nHead = 4;
        const int hd = headDim, group = nHead / nHeadKv;
        const int positions = firstPosition + tokens;
        const float queryScale = 0.125f, scoreScale = 1.0f;
        const auto q = randomFloats(std::size_t(tokens) * nHead * hd, rng_, -2.0f, 2.0f);
        std::vector<uint16_t> k(std::size_t(positions) * nHeadKv * hd), v(k.size());
        for (auto& h : k)
            h = quant::f32ToF16(randomFloats(1, rng_, -2.0f, 2.0f)[0]);
        for (auto& h : v)
            h = quant::f32ToF16(randomFloats(1, rng_)[0]);

        std::vector<double> want(q.size());
        for (int t = 0; t < tokens; ++t) {
            const int pos = firstPosition + t;
            const int lo = window > 0 ? std::max(0, pos - window + 1) : 0;
            for (int h = 0; h < nHead; ++h) {
                const int kvh = h / group;
                std::vector<double> s(pos - lo + 1);
                double m = -1e300;
                for (int p = lo; p <= pos; ++p) {
                    double dot = 0.0;
                    for (int d = 0; d < hd; ++d) {
                        const float qd = quant::f16ToF32(
                            quant::f32ToF16(q[(std::size_t(t) * nHead + h) * hd + d] * queryScale));
                        dot += qd * quant::f16ToF32(k[(std::size_t(p) * nHeadKv + kvh) * hd + d]);
                    }
                    s[p - lo] = dot * scoreScale;
                    m = std::max(m, s[p - lo]);
                }
                double sum = 0.0;
                for (auto& e : s)
                    sum += (e = std::exp(e - m));
                for (int d = 0; d < hd; ++d) {
                    double acc = 0.0;
                    for (int p = lo; p <= pos; ++p)
                        acc += s[p - lo] *
                               quant::f16ToF32(v[(std::size_t(p) * nHeadKv + kvh) * hd + d]);
                    want[(std::size_t(t) * nHead + h) * hd + d] = acc / sum;
                }
            }
        }
        std::vector<float> got(q.size(), std::nanf(""));
        QCOMPARE(
            api().attention(q.data(), k.data(), v.data(), tokens, firstPosition, nHead, nHeadKv, hd,
                            window, queryScale, scoreScale, got.data(), error_, sizeof error_),
            int(PARLEY_CUDA_OK));
        const double err = relativeError(got, want);
        QVERIFY2(err < 1e-4, qPrintable(QString("relative error %1").arg(err)));
    }

    void greedySampling() {
        auto logits = randomFloats(50000, rng_, -5.0f, 5.0f);
        const int best = int(std::max_element(logits.begin(), logits.end()) - logits.begin());
        ParleySamplingDesc s{};
        s.temperature = 0.0f;
        int32_t token = -1;
        QCOMPARE(
            api().sample(logits.data(), int32_t(logits.size()), &s, &token, error_, sizeof error_),
            int(PARLEY_CUDA_OK));
        QCOMPARE(token, best);

        // A repeat penalty of 100 on the best token hands the arg-max to the runner-up.
        auto second = logits;
        second[best] = -1e9f;
        const int runnerUp = int(std::max_element(second.begin(), second.end()) - second.begin());
        logits[best] = 5.5f;
        logits[runnerUp] = 5.4f;
        s.repeatPenalty = 100.0f;
        s.recent = &best;
        s.nRecent = 1;
        QCOMPARE(
            api().sample(logits.data(), int32_t(logits.size()), &s, &token, error_, sizeof error_),
            int(PARLEY_CUDA_OK));
        QCOMPARE(token, runnerUp);
    }

    void samplingDistribution() {
        const std::vector<double> p = {0.1, 0.2, 0.3, 0.4};
        std::vector<float> logits;
        for (double x : p)
            logits.push_back(float(std::log(x)));
        ParleySamplingDesc s{};
        s.temperature = 1.0f;
        s.topP = 1.0f;
        s.repeatPenalty = 1.0f;
        s.seed = rng_();
        constexpr int draws = 2000;
        std::vector<int> counts(p.size(), 0);
        for (int i = 0; i < draws; ++i) {
            s.drawIndex = uint64_t(i);
            int32_t token = -1;
            QCOMPARE(api().sample(logits.data(), int32_t(logits.size()), &s, &token, error_,
                                  sizeof error_),
                     int(PARLEY_CUDA_OK));
            QVERIFY(token >= 0 && token < int(p.size()));
            ++counts[token];
        }
        for (std::size_t i = 0; i < p.size(); ++i) {
            const double sigma = std::sqrt(p[i] * (1 - p[i]) / draws);
            QVERIFY2(std::abs(counts[i] / double(draws) - p[i]) < 5 * sigma,
                     qPrintable(QString("token %1 drawn %2 times").arg(i).arg(counts[i])));
        }
    }

    void samplingCutoffs() {
        ParleySamplingDesc s{};
        s.temperature = 1.0f;
        s.repeatPenalty = 1.0f;
        s.seed = rng_();
        // Top-p 0.5: token 0 alone holds 51% of the mass.
        const std::vector<float> topP = {3.0f, 2.9f, 0.0f, -5.0f};
        s.topP = 0.5f;
        for (int i = 0; i < 200; ++i) {
            s.drawIndex = uint64_t(i);
            int32_t token = -1;
            QCOMPARE(api().sample(topP.data(), 4, &s, &token, error_, sizeof error_),
                     int(PARLEY_CUDA_OK));
            QCOMPARE(token, 0);
        }
        // Min-p 0.1 keeps token 1 (e^-1 of the best) and drops token 2 (e^-10).
        s.topP = 1.0f;
        s.minP = 0.1f;
        expectOnly(s, std::vector<float>({0.0f, -1.0f, -10.0f}), (std::vector<int>{1, 1, 0}));
        // Top-k 2 keeps the two best, tokens 0 and 3.
        s.minP = 0.0f;
        s.topK = 2;
        expectOnly(s, std::vector<float>({0.0f, -1.0f, -10.0f, -0.5f}),
                   (std::vector<int>{1, 0, 0, 1}));
    }

  private:
    // Draws 400 tokens and checks which ids appear (allowed[i] != 0) and which never do.
    void expectOnly(const ParleySamplingDesc& base, const std::vector<float>& logits,
                    const std::vector<int>& allowed) {
        ParleySamplingDesc s = base;
        std::vector<int> seen(logits.size(), 0);
        for (int i = 0; i < 400; ++i) {
            s.drawIndex = uint64_t(i);
            int32_t token = -1;
            QCOMPARE(api().sample(logits.data(), int32_t(logits.size()), &s, &token, error_,
                                  sizeof error_),
                     int(PARLEY_CUDA_OK));
            QVERIFY(token >= 0 && token < int32_t(logits.size()));
            ++seen[token];
        }
        for (std::size_t i = 0; i < logits.size(); ++i)
            QVERIFY2((seen[i] > 0) == (allowed[i] != 0),
                     qPrintable(QString("token %1 drawn %2 times").arg(i).arg(seen[i])));
    }
};

PARLEY_CUDA_TEST_MAIN(TestCudaKernels)
#include "test_cuda_kernels.moc"
