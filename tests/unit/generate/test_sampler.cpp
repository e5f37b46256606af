#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_set>
#include <vector>

#include "inference/sampling/sampler.h"

using parley::sampling::Sampler;
using parley::sampling::SamplingParams;
using parley::sampling::TokenId;

namespace {

std::vector<float> logits() {
    return {1.0f, 3.0f, 2.5f, -1.0f, 0.0f, 2.9f};
}

SamplingParams greedy() {
    SamplingParams p;
    p.temperature = 0.0f;
    return p;
}

std::map<TokenId, int> histogram(SamplingParams p, int draws) {
    Sampler s(p);
    std::map<TokenId, int> h;
    for (int i = 0; i < draws; ++i) {
        auto l = logits();
        ++h[s.sample(l, {})];
    }
    return h;
}

}  // namespace

class TestSampler : public QObject {
    Q_OBJECT
  private slots:
    void greedyTakesArgMax() {
        Sampler s(greedy());
        auto l = logits();
        QCOMPARE(s.sample(l, {}), 1);
    }

    void logitBiasCanBanAndForce() {
        auto p = greedy();
        p.logitBias[1] = -std::numeric_limits<float>::infinity();
        Sampler banned(p);
        auto l = logits();
        QCOMPARE(banned.sample(l, {}), 5);
        p.logitBias = {{3, 10.0f}};
        Sampler forced(p);
        l = logits();
        QCOMPARE(forced.sample(l, {}), 3);
    }

    void penaltiesFollowOpenAiAndCtrlRules() {
        auto p = greedy();
        p.presencePenalty = 0.2f;
        p.frequencyPenalty = 0.1f;
        Sampler s(p);
        auto l = logits();
        const std::vector<TokenId> recent{1, 1, 4};
        s.sample(l, recent);
        QCOMPARE(l[1], 3.0f - 2 * 0.1f - 0.2f);
        QCOMPARE(l[4], 0.0f - 0.1f - 0.2f);
        QCOMPARE(l[2], 2.5f);

        auto r = greedy();
        r.repeatPenalty = 2.0f;
        Sampler rep(r);
        auto l2 = logits();
        const std::vector<TokenId> recent2{1, 3};
        QCOMPARE(rep.sample(l2, recent2), 5);  // 3.0 halved to 1.5; 2.9 wins
        QCOMPARE(l2[1], 1.5f);
        QCOMPARE(l2[3], -2.0f);  // negative logits are multiplied
    }

    void penaltyWindowLimitsHistory() {
        auto p = greedy();
        p.repeatPenalty = 10.0f;
        p.penaltyLastN = 1;
        Sampler s(p);
        auto l = logits();
        const std::vector<TokenId> recent{1, 2};  // only token 2 is inside the window
        s.sample(l, recent);
        QCOMPARE(l[1], 3.0f);
        QCOMPARE(l[2], 0.25f);
    }

    void sameSeedSameTokens() {
        SamplingParams p;
        p.temperature = 1.0f;
        p.topK = 0;
        p.topP = 1.0f;
        p.minP = 0.0f;
        p.seed = 1234;
        Sampler a(p), b(p);
        std::vector<TokenId> ta, tb;
        for (int i = 0; i < 200; ++i) {
            auto la = logits(), lb = logits();
            ta.push_back(a.sample(la, {}));
            tb.push_back(b.sample(lb, {}));
        }
        QCOMPARE(ta, tb);
        p.seed = 99;
        Sampler c(p);
        std::vector<TokenId> tc;
        for (int i = 0; i < 200; ++i) {
            auto lc = logits();
            tc.push_back(c.sample(lc, {}));
        }
        QVERIFY(ta != tc);
    }

    void distributionMatchesSoftmax() {
        SamplingParams p;
        p.temperature = 1.0f;
        p.topK = 0;
        p.topP = 1.0f;
        p.minP = 0.0f;
        p.seed = 7;
        const int draws = 20000;
        const auto h = histogram(p, draws);
        const auto l = logits();
        double z = 0;
        for (float x : l)
            z += std::exp(x);
        for (int i = 0; i < int(l.size()); ++i) {
            const double expected = std::exp(l[i]) / z;
            const double got = double(h.count(i) ? h.at(i) : 0) / draws;
            QVERIFY2(std::abs(got - expected) < 0.015,
                     qPrintable(QString("token %1: %2 vs %3").arg(i).arg(got).arg(expected)));
        }
    }

    void truncationKeepsOnlyTheHead() {
        SamplingParams p;
        p.temperature = 1.5f;
        p.seed = 3;
        p.topP = 1.0f;
        p.minP = 0.0f;
        p.topK = 2;
        auto h = histogram(p, 2000);
        QCOMPARE(int(h.size()), 2);
        QVERIFY(h.count(1) && h.count(5));

        p.topK = 0;
        p.topP = 0.5f;  // p(1) ~ 0.37, p(5) ~ 0.34: the two together pass 0.5
        h = histogram(p, 2000);
        QCOMPARE(int(h.size()), 2);

        p.topP = 1.0f;
        p.minP = 0.5f;  // keeps logits >= 3 + ln 0.5 = 2.31: tokens 1, 5, 2
        h = histogram(p, 4000);
        QCOMPARE(int(h.size()), 3);
        QVERIFY(h.count(2));
    }

    // A vocabulary the size of a real one, whose top-p head is far longer than the first sorted
    // window: the kept set must be exactly the reference's (sort everything, add up).
    void topPOverALargeVocabularyKeepsExactlyTheHead() {
        constexpr int kVocab = 50000;
        std::vector<float> base(kVocab);
        for (int i = 0; i < kVocab; ++i)
            base[i] = -0.001f * float((i * 7919) % kVocab);  // shuffled, slowly falling
        std::vector<int> order(kVocab);
        for (int i = 0; i < kVocab; ++i)
            order[i] = i;
        std::sort(order.begin(), order.end(), [&](int a, int b) { return base[a] > base[b]; });
        double total = 0;
        for (float x : base)
            total += std::exp(double(x));
        double cumulative = 0;
        std::size_t head = 0;
        while (cumulative < 0.5)
            cumulative += std::exp(double(base[order[head++]])) / total;
        QVERIFY(head > 500);  // the case the growing sorted window exists for
        const std::unordered_set<int> kept(order.begin(), order.begin() + std::ptrdiff_t(head));

        SamplingParams p;
        p.temperature = 1.0f;
        p.topK = 0;
        p.topP = 0.5f;
        p.minP = 0.0f;
        p.seed = 11;
        Sampler s(p);
        std::unordered_set<int> seen;
        for (int i = 0; i < 3000; ++i) {
            auto l = base;
            const int token = s.sample(l, {});
            QVERIFY2(kept.count(token),
                     qPrintable(QString("token %1 is outside the head").arg(token)));
            seen.insert(token);
        }
        QVERIFY(seen.size() > head / 2);  // drawn from all of the head, not a shorter prefix
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"
