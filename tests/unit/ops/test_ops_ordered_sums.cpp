// The fixed-order sums and the polynomial exp that attention uses to round like the reference:
// the dispatched (SIMD) paths must give exactly the bits of the order written out plainly here,
// and the values must be the mathematical ones to float accuracy.
#include <QtTest>

#include <cmath>
#include <limits>

#include "inference/ops/ordered_sums.h"
#include "inference/ops/polynomial_exp.h"
#include "support/random_vector.h"

using namespace parley;
using test_support::randomVector;

namespace {

// The documented order, element by element: fused chains per lane, then pairwise halving.
float laneOrderDot(const float* a, const float* b, int64_t n, int lanes) {
    std::vector<float> acc(lanes, 0.0f);
    const int64_t body = n - n % lanes;
    for (int64_t i = 0; i < body; ++i)
        acc[i % lanes] = std::fma(a[i], b[i], acc[i % lanes]);
    for (int width = lanes / 2; width >= 1; width /= 2) {
        for (int l = 0; l < width; ++l)
            acc[l] = acc[l] + acc[l + width];
    }
    double sum = acc[0];
    for (int64_t i = body; i < n; ++i)
        sum += double(a[i] * b[i]);
    return float(sum);
}

double exactDot(const float* a, const float* b, int64_t n) {
    double d = 0;
    for (int64_t i = 0; i < n; ++i)
        d += double(a[i]) * b[i];
    return d;
}

}  // namespace

class TestOrderedSums : public QObject {
    Q_OBJECT
  private slots:
    void dotFollowsTheLaneOrder() {
        for (const int64_t n : {16, 64, 256, 1024}) {
            const auto a = randomVector(n, 1);
            const auto b = randomVector(n, 2);
            const float got16 = ops::orderedDot(a.data(), b.data(), n, ops::LaneOrder::Lanes16);
            QCOMPARE(got16, laneOrderDot(a.data(), b.data(), n, 16));
            QVERIFY(std::abs(got16 - exactDot(a.data(), b.data(), n)) < 1e-4 * std::sqrt(n));
        }
        for (const int64_t n : {64, 256, 80, 100}) {  // 80, 100: a tail after the 64-lane body
            const auto a = randomVector(n, 3);
            const auto b = randomVector(n, 4);
            const float got64 = ops::orderedDot(a.data(), b.data(), n, ops::LaneOrder::Lanes64);
            QCOMPARE(got64, laneOrderDot(a.data(), b.data(), n, 64));
            QVERIFY(std::abs(got64 - exactDot(a.data(), b.data(), n)) < 1e-4 * std::sqrt(n));
        }
    }

    void combineLanesMatchesSum16AndTheDot() {
        // Lane l of a dot's partial sums is what combineLanes combines: the two must agree.
        const int64_t n = 256;
        const auto a = randomVector(n, 7);
        const auto b = randomVector(n, 8);
        for (const auto order : {ops::LaneOrder::Lanes16, ops::LaneOrder::Lanes64}) {
            const int lanes = ops::laneCount(order);
            std::vector<float> partial(lanes, 0.0f);
            for (int64_t i = 0; i < n; ++i)
                partial[i % lanes] = std::fma(a[i], b[i], partial[i % lanes]);
            float combined = 0.0f;
            ops::combineLanes(partial.data(), 1, 1, order, &combined);
            QCOMPARE(combined, ops::orderedDot(a.data(), b.data(), n, order));
        }
        const auto v = randomVector(16, 9);
        auto copy = v;
        float viaLanes = 0.0f;
        ops::combineLanes(copy.data(), 1, 1, ops::LaneOrder::Lanes16, &viaLanes);
        QCOMPARE(ops::sum16(v.data()), viaLanes);
    }

    void polynomialExpIsExpToFloatAccuracy() {
        for (float x = -87.0f; x <= 88.0f; x += 0.37f) {
            const double e = std::exp(double(x));
            QVERIFY2(std::abs(ops::polynomialExp(x) - e) <= 3e-7 * e,
                     qPrintable(QString::number(x)));
        }
        QCOMPARE(ops::polynomialExp(0.0f), 1.0f);
        QCOMPARE(ops::polynomialExp(-std::numeric_limits<float>::infinity()), 0.0f);
        QCOMPARE(ops::polynomialExp(-300.0f), 0.0f);
        QCOMPARE(ops::polynomialExp(300.0f), std::numeric_limits<float>::infinity());
        QVERIFY(ops::polynomialExp(-100.0f) > 0.0f);  // subnormal, not flushed
    }

    void vectorExpEqualsScalarExp() {
        // Every lane kind: ordinary, underflowing to subnormal, saturating, masked (-inf).
        auto x = randomVector(1000, 10, 20.0f);
        x[3] = -std::numeric_limits<float>::infinity();
        x[17] = -130.0f;
        x[18] = -150.0f;
        x[19] = -250.0f;
        std::vector<float> out(x.size());
        const float shift = 1.5f;
        ops::polynomialExpShifted(x.data(), shift, int64_t(x.size()), out.data());
        for (std::size_t i = 0; i < x.size(); ++i)
            QCOMPARE(out[i], ops::polynomialExp(x[i] - shift));
        QCOMPARE(out[3], 0.0f);
    }
};

QTEST_GUILESS_MAIN(TestOrderedSums)
#include "test_ops_ordered_sums.moc"
