#include "fake_engine.h"

#include <QtTest>

#include <random>
#include <set>

using namespace parley::serving;
using parley::serving::testing::FakeEngine;

class TestServingRandom : public QObject {
    Q_OBJECT

  private slots:
    void randomOperationsLeakNoBlock();
};

namespace {

// Pool counters agree with each other and with the block tables.
QString accountingError(const BlockPool& pool, const Scheduler& scheduler) {
    int64_t references = 0;
    int32_t used = 0;
    for (BlockId id = 0; id < pool.numBlocks(); ++id) {
        references += pool.refCount(id);
        used += pool.refCount(id) > 0 ? 1 : 0;
    }
    if (pool.numUsed() + pool.numFree() + pool.numCached() != pool.numBlocks()) {
        return "used + free + cached != blocks";
    }
    if (used != pool.numUsed()) {
        return "numUsed disagrees with the reference counts";
    }
    if (references != scheduler.kvCache().totalReferences()) {
        return QString("reference counts %1 != table entries %2")
            .arg(references)
            .arg(scheduler.kvCache().totalReferences());
    }
    return {};
}

}  // namespace

void TestServingRandom::randomOperationsLeakNoBlock() {
    constexpr int32_t kBlocks = 24;
    BlockPool pool(kBlocks);
    PrefixCache cache(pool, 1);
    Scheduler scheduler({.tokenBudget = 48, .maxRunning = 12, .maxWaiting = 12}, pool, cache);
    FakeEngine engine(pool);
    std::mt19937 rng(1234);
    auto pick = [&](int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(rng)); };

    // Prompts start from one of a few shared "system prompts" so the prefix cache gets hits.
    std::vector<std::vector<TokenId>> systemPrompts(3);
    for (size_t i = 0; i < systemPrompts.size(); ++i) {
        for (int t = 0; t < 16 * int(i + 1); ++t) {
            systemPrompts[i].push_back(TokenId(100 * int(i) + t));
        }
    }
    std::set<RequestId> live;
    std::map<RequestId, std::vector<TokenId>> startTokens;  // what each request began from
    RequestId nextId = 1;
    int added = 0, overloaded = 0, forked = 0, cancelled = 0, finished = 0, preempted = 0;
    std::vector<SampledToken> sampled;

    auto step = [&]() -> QString {
        const SchedulerOutput out = scheduler.schedule();
        if (out.totalTokens > 48) {
            return "budget exceeded";
        }
        preempted += int(out.preempted.size());
        const std::string error = engine.run(out, scheduler, sampled);
        if (!error.empty()) {
            return QString::fromStdString(error);
        }
        for (const FinishedRequest& done : scheduler.onStepDone(out, sampled)) {
            // Batching, preemption and caching never change what a request generates.
            std::vector<TokenId> sequence = startTokens.at(done.id);
            for (TokenId token : done.generated) {
                if (token != FakeEngine::nextToken(sequence)) {
                    return QString("request %1 generated a wrong token").arg(done.id);
                }
                sequence.push_back(token);
            }
            live.erase(done.id);
            ++finished;
        }
        return accountingError(pool, scheduler);
    };

    for (int op = 0; op < 10000; ++op) {
        const int kind = pick(10);
        if (kind < 3) {
            NewRequest r;
            r.id = nextId++;
            r.user = "user" + std::to_string(pick(4));
            r.priority = Priority(pick(kPriorityCount));
            r.prompt = systemPrompts[size_t(pick(3))];
            const int tail = 1 + pick(40);
            for (int t = 0; t < tail; ++t) {
                r.prompt.push_back(TokenId(pick(8)));
            }
            r.maxNewTokens = 1 + pick(48);
            if (pick(4) == 0) {
                r.eos = TokenId(1000 + pick(997));
            }
            const std::vector<TokenId> prompt = r.prompt;
            const AddResult result = scheduler.add(std::move(r));
            if (result == AddResult::Accepted) {
                live.insert(nextId - 1);
                startTokens[nextId - 1] = prompt;
                ++added;
            } else {
                QCOMPARE(result, AddResult::Overloaded);
                ++overloaded;
            }
        } else if (kind == 3 && !live.empty()) {
            const RequestId parent = *std::next(live.begin(), pick(int(live.size())));
            const RequestId child = nextId++;
            if (scheduler.fork(parent, child, 1 + pick(12)) == AddResult::Accepted) {
                live.insert(child);
                const auto tokens = scheduler.tokens(child);
                startTokens[child] = {tokens.begin(), tokens.end()};
                ++forked;
            }
        } else if (kind == 4 && !live.empty()) {
            const RequestId victim = *std::next(live.begin(), pick(int(live.size())));
            QVERIFY(scheduler.cancel(victim));
            live.erase(victim);
            ++cancelled;
            const QString error = accountingError(pool, scheduler);
            QVERIFY2(error.isEmpty(), qPrintable(error));
        } else {
            const QString error = step();
            QVERIFY2(error.isEmpty(), qPrintable(QString("op %1: %2").arg(op).arg(error)));
        }
    }
    for (RequestId id : live) {
        QVERIFY(scheduler.cancel(id));
    }
    const QString error = step();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(scheduler.numRunning(), 0);
    QCOMPARE(scheduler.numWaiting(), 0);
    QCOMPARE(scheduler.kvCache().totalReferences(), 0);
    QCOMPARE(pool.numUsed(), 0);
    QCOMPARE(pool.numFree() + pool.numCached(), kBlocks);
    for (BlockId id = 0; id < kBlocks; ++id) {
        QCOMPARE(pool.refCount(id), 0);
    }
    QCOMPARE(cache.size(), pool.numCached());
    // The run exercised what it claims to.
    qInfo(
        "added %d, overloaded %d, forked %d, cancelled %d, finished %d, preempted %d, "
        "prefix hit tokens %lld of %lld",
        added, overloaded, forked, cancelled, finished, preempted,
        static_cast<long long>(cache.hitTokens()), static_cast<long long>(cache.queryTokens()));
    QVERIFY(finished > 100);
    QVERIFY(forked > 10);
    QVERIFY(preempted > 0);
    QVERIFY(overloaded > 0);
    QVERIFY(cache.hitTokens() > 0);
}

QTEST_GUILESS_MAIN(TestServingRandom)
#include "test_serving_random.moc"
