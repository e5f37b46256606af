// The forward pass's small kernels against plain formulas computed here in double.
#include <QtTest>

#include <cmath>

#include "inference/ops/vector_ops.h"
#include "inference/quant/dequantize.h"
#include "support/random_vector.h"

using namespace parley;
using test_support::randomVector;

class TestVectorOps : public QObject {
    Q_OBJECT
  private slots:
    void rmsNormMatchesFormula() {
        const auto x = randomVector(576, 1, 3.0f);
        const auto w = randomVector(576, 2);
        std::vector<float> out(576);
        ops::rmsNorm(x.data(), w.data(), 576, 1e-5f, out.data());
        double ss = 0;
        for (float v : x)
            ss += double(v) * v;
        const double inv = 1.0 / std::sqrt(ss / 576 + 1e-5);
        for (int i = 0; i < 576; ++i)
            QVERIFY(std::abs(out[i] - x[i] * inv * w[i]) < 1e-5);
    }

    void ropeRotatesPairs() {
        const int hd = 8, nRot = 8;
        const float thetaScale = std::pow(10000.0f, -2.0f / nRot);
        const auto x = randomVector(2 * hd, 3);

        auto same = x;  // position 0 is the identity
        ops::rope(same.data(), 2, hd, nRot, 0, thetaScale, model::RopeStyle::Interleaved);
        QCOMPARE(same, x);

        auto inter = x;
        ops::rope(inter.data(), 2, hd, nRot, 5, thetaScale, model::RopeStyle::Interleaved);
        auto half = x;
        ops::rope(half.data(), 2, hd, nRot, 5, thetaScale, model::RopeStyle::HalfSplit);
        for (int h = 0; h < 2; ++h) {
            for (int i = 0; i < nRot / 2; ++i) {
                const double theta = 5.0 * std::pow(10000.0, -2.0 * i / nRot);
                const double c = std::cos(theta), s = std::sin(theta);
                const float* v = &x[h * hd];
                // Interleaved pairs (2i, 2i+1); half-split pairs (i, i + nRot/2).
                QVERIFY(std::abs(inter[h * hd + 2 * i] - (v[2 * i] * c - v[2 * i + 1] * s)) < 1e-5);
                QVERIFY(std::abs(inter[h * hd + 2 * i + 1] - (v[2 * i] * s + v[2 * i + 1] * c)) <
                        1e-5);
                QVERIFY(std::abs(half[h * hd + i] - (v[i] * c - v[i + nRot / 2] * s)) < 1e-5);
                QVERIFY(std::abs(half[h * hd + i + nRot / 2] - (v[i] * s + v[i + nRot / 2] * c)) <
                        1e-5);
            }
        }
    }

    void gatedActivations() {
        std::vector<float> gate{-2.0f, -0.5f, 0.0f, 0.7f, 3.0f}, up{1.0f, 2.0f, 3.0f, -1.0f, 0.5f};
        auto silu = gate;
        ops::gatedActivation(silu.data(), up.data(), 5, model::FfnActivation::SiLU);
        auto gelu = gate;
        ops::gatedActivation(gelu.data(), up.data(), 5, model::FfnActivation::GeluTanh);
        for (int i = 0; i < 5; ++i) {
            const double z = gate[i];
            QVERIFY(std::abs(silu[i] - z / (1 + std::exp(-z)) * up[i]) < 1e-6);
            const double g = 0.5 * z * (1 + std::tanh(0.7978845608 * (z + 0.044715 * z * z * z)));
            // GELU goes through an f16 table, as in ggml: f16 precision.
            QVERIFY2(std::abs(gelu[i] - g * up[i]) < 2e-3 * (1 + std::abs(g * up[i])),
                     qPrintable(QString("%1 vs %2").arg(gelu[i]).arg(g * up[i])));
        }
    }

    void f16RowsRoundTrip() {
        const auto x = randomVector(37, 4, 10.0f);
        std::vector<uint16_t> h(37);
        std::vector<float> back(37), rounded(37);
        ops::toF16(x.data(), h.data(), 37);
        ops::fromF16(h.data(), back.data(), 37);
        ops::roundToF16(x.data(), rounded.data(), 37);
        for (int i = 0; i < 37; ++i) {
            QCOMPARE(h[i], quant::f32ToF16(x[i]));  // the fast path rounds like the reference
            QCOMPARE(back[i], quant::f16ToF32(h[i]));
            QCOMPARE(rounded[i], back[i]);
        }
    }
};

QTEST_GUILESS_MAIN(TestVectorOps)
#include "test_vector_ops.moc"
