#include "fake_engine.h"

#include <QtTest>

using namespace parley::serving;
using parley::serving::testing::FakeEngine;

namespace {

std::vector<TokenId> makePrompt(size_t length, int seed, size_t sharedPrefix = 0) {
    std::vector<TokenId> tokens(length);
    for (size_t i = 0; i < length; ++i) {
        tokens[i] = i < sharedPrefix ? TokenId(10 + i) : TokenId(5000 + seed * 1000 + int(i));
    }
    return tokens;
}

NewRequest makeRequest(RequestId id, std::string user, size_t promptLength, int32_t maxNew,
                       Priority priority = Priority::Interactive) {
    NewRequest r;
    r.id = id;
    r.user = std::move(user);
    r.priority = priority;
    r.prompt = makePrompt(promptLength, int(id));
    r.maxNewTokens = maxNew;
    return r;
}

struct Step {
    SchedulerOutput output;
    std::vector<FinishedRequest> finished;
    std::string error;
};

struct Fixture {
    Fixture(int32_t numBlocks, SchedulerConfig config)
        : pool(numBlocks), cache(pool, 1), scheduler(config, pool, cache), engine(pool) {}

    Step step() {
        Step s;
        s.output = scheduler.schedule();
        std::vector<SampledToken> sampled;
        s.error = engine.run(s.output, scheduler, sampled);
        s.finished = scheduler.onStepDone(s.output, sampled);
        return s;
    }

    BlockPool pool;
    PrefixCache cache;
    Scheduler scheduler;
    FakeEngine engine;
};

std::vector<std::pair<RequestId, int32_t>> chunks(const SchedulerOutput& out) {
    std::vector<std::pair<RequestId, int32_t>> result;
    for (const ScheduledRequest& s : out.scheduled) {
        result.emplace_back(s.id, int32_t(s.tokens.size()));
    }
    return result;
}

// What the fake model produces for `prompt` run alone.
std::vector<TokenId> expectedOutput(std::vector<TokenId> sequence, int32_t count) {
    std::vector<TokenId> generated;
    for (int32_t i = 0; i < count; ++i) {
        generated.push_back(FakeEngine::nextToken(sequence));
        sequence.push_back(generated.back());
    }
    return generated;
}

using Chunks = std::vector<std::pair<RequestId, int32_t>>;

}  // namespace

class TestScheduler : public QObject {
    Q_OBJECT

  private slots:
    void decodesComeFirstAndPrefillIsChunkedToTheBudget();
    void higherPriorityClassIsAdmittedFirst();
    void usersTakeTurnsWithinAPriorityClass();
    void fullWaitingQueueAnswersOverloaded();
    void invalidRequestsAreRejected();
    void sameSystemPromptIsSharedAcrossUsers();
    void preemptsLowestPriorityAndRecomputesTheSameTokens();
    void cancellationFreesBlocksWithinOneStep();
    void forkedRequestsCopyTheSharedBlockBeforeWriting();
    void finishesAtEos();
    void promptCostIsCappedWhileStreamsDecode();
    void promptCostCapGrowsCheaperWithoutAttentionCost();
    void promptsArrivingTogetherFinishInArrivalOrder();
    void promptCostCapScalesWithManyDecodes();
};

void TestScheduler::decodesComeFirstAndPrefillIsChunkedToTheBudget() {
    Fixture f(64, {.tokenBudget = 32, .prefillCostWhileDecoding = 0});
    QCOMPARE(f.scheduler.add(makeRequest(1, "a", 20, 10)), AddResult::Accepted);
    Step s = f.step();
    QCOMPARE(s.error, std::string());
    QCOMPARE(chunks(s.output), (Chunks{{1, 20}}));
    QVERIFY(s.output.scheduled[0].samples);

    QCOMPARE(f.scheduler.add(makeRequest(2, "b", 100, 10)), AddResult::Accepted);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {2, 31}}));
    QVERIFY(!s.output.scheduled[1].samples);
    QCOMPARE(s.output.totalTokens, 32);

    // A third, short arrival does not wait for request 2's long prompt (69 tokens left, more than
    // a step's budget): it is admitted before that prompt's next chunk, which gets the rest.
    QCOMPARE(f.scheduler.add(makeRequest(3, "c", 10, 10)), AddResult::Accepted);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {3, 10}, {2, 21}}));
    QCOMPARE(s.output.scheduled[2].startPosition, 31);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {3, 1}, {2, 30}}));
    s = f.step();  // request 2's last 18 prompt tokens
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {3, 1}, {2, 18}}));
    QVERIFY(s.output.scheduled[2].samples);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {2, 1}, {3, 1}}));
    QCOMPARE(s.error, std::string());
}

void TestScheduler::higherPriorityClassIsAdmittedFirst() {
    Fixture f(64, {.tokenBudget = 16});
    f.scheduler.add(makeRequest(1, "a", 16, 1, Priority::Background));
    f.scheduler.add(makeRequest(2, "a", 16, 1, Priority::LongContext));
    f.scheduler.add(makeRequest(3, "b", 16, 1, Priority::Interactive));
    std::vector<RequestId> order;
    for (int i = 0; i < 3; ++i) {
        const Step s = f.step();
        QCOMPARE(s.output.scheduled.size(), size_t(1));
        order.push_back(s.output.scheduled[0].id);
    }
    QCOMPARE(order, (std::vector<RequestId>{3, 2, 1}));
}

void TestScheduler::usersTakeTurnsWithinAPriorityClass() {
    Fixture f(64, {.tokenBudget = 16});
    for (RequestId id = 1; id <= 4; ++id) {
        f.scheduler.add(makeRequest(id, "alice", 16, 1));
    }
    for (RequestId id = 11; id <= 12; ++id) {
        f.scheduler.add(makeRequest(id, "bob", 16, 1));
    }
    std::vector<RequestId> order;
    for (int i = 0; i < 6; ++i) {
        const Step s = f.step();
        QCOMPARE(s.output.scheduled.size(), size_t(1));
        QCOMPARE(s.finished.size(), size_t(1));
        order.push_back(s.output.scheduled[0].id);
    }
    QCOMPARE(order, (std::vector<RequestId>{1, 11, 2, 12, 3, 4}));
}

void TestScheduler::fullWaitingQueueAnswersOverloaded() {
    Fixture f(64, {.tokenBudget = 16, .maxWaiting = 2});
    QCOMPARE(f.scheduler.add(makeRequest(1, "a", 16, 4)), AddResult::Accepted);
    QCOMPARE(f.scheduler.add(makeRequest(2, "a", 16, 4)), AddResult::Accepted);
    QCOMPARE(f.scheduler.add(makeRequest(3, "b", 16, 4)), AddResult::Overloaded);
    QVERIFY(!f.scheduler.has(3));
    QCOMPARE(f.scheduler.numWaiting(), 2);
    f.step();  // admits request 1
    QCOMPARE(f.scheduler.numWaiting(), 1);
    QCOMPARE(f.scheduler.add(makeRequest(3, "b", 16, 4)), AddResult::Accepted);
}

void TestScheduler::invalidRequestsAreRejected() {
    Fixture f(4, {});
    QCOMPARE(f.scheduler.add(makeRequest(1, "a", 0, 4)), AddResult::Invalid);
    QCOMPARE(f.scheduler.add(makeRequest(1, "a", 60, 5)), AddResult::Invalid);  // 65 > 64 slots
    QCOMPARE(f.scheduler.add(makeRequest(1, "a", 60, 4)), AddResult::Accepted);
    QCOMPARE(f.scheduler.add(makeRequest(1, "a", 10, 4)), AddResult::Invalid);  // id in use
    QCOMPARE(f.scheduler.fork(9, 2, 4), AddResult::Invalid);                    // no such parent
}

void TestScheduler::sameSystemPromptIsSharedAcrossUsers() {
    Fixture f(32, {.tokenBudget = 256, .prefillCostWhileDecoding = 0});
    NewRequest alice = makeRequest(1, "alice", 0, 2);
    alice.prompt = makePrompt(64 + 3, 1, 64);
    NewRequest bob = makeRequest(2, "bob", 0, 2);
    bob.prompt = makePrompt(64 + 6, 2, 64);
    NewRequest carol = makeRequest(3, "carol", 0, 2);
    carol.prompt = makePrompt(64 + 3, 3, 0);

    f.scheduler.add(alice);
    const Step first = f.step();
    QCOMPARE(first.output.scheduled[0].blockTable, (std::vector<BlockId>{0, 1, 2, 3, 4}));
    f.scheduler.add(bob);
    f.scheduler.add(carol);
    const Step second = f.step();
    QCOMPARE(second.error, std::string());
    QCOMPARE(chunks(second.output), (Chunks{{1, 1}, {2, 6}, {3, 67}}));
    const ScheduledRequest& bobChunk = second.output.scheduled[1];
    QCOMPARE(bobChunk.startPosition, 64);
    QCOMPARE(bobChunk.blockTable, (std::vector<BlockId>{0, 1, 2, 3, 5}));
    QCOMPARE(f.cache.hitTokens(), 64);
    for (BlockId id : second.output.scheduled[2].blockTable) {
        QVERIFY(id > 5);
        QCOMPARE(f.pool.refCount(id), 1);
    }
}

void TestScheduler::preemptsLowestPriorityAndRecomputesTheSameTokens() {
    // 6 blocks; an interactive request that grows past its blocks must take them from the
    // background one, although the background request arrived first.
    Fixture f(6, {.tokenBudget = 64});
    NewRequest background = makeRequest(1, "bg", 31, 20, Priority::Background);
    NewRequest interactive = makeRequest(2, "fg", 40, 30, Priority::Interactive);
    f.scheduler.add(background);
    f.scheduler.add(interactive);

    std::vector<BlockId> backgroundTable;
    std::vector<TokenId> backgroundTokens;
    std::map<RequestId, std::vector<TokenId>> outputs;
    bool preempted = false;
    bool readmitted = false;
    for (int i = 0; i < 200 && outputs.size() < 2; ++i) {
        if (f.scheduler.has(1) && !preempted) {
            backgroundTokens.assign(f.scheduler.tokens(1).begin(), f.scheduler.tokens(1).end());
            backgroundTable.assign(f.scheduler.kvCache().blockTable(1).begin(),
                                   f.scheduler.kvCache().blockTable(1).end());
        }
        const Step s = f.step();
        QCOMPARE(s.error, std::string());
        if (!s.output.preempted.empty()) {
            QVERIFY(!preempted);
            preempted = true;
            QCOMPARE(s.output.preempted, std::vector<RequestId>{1});
            QVERIFY(f.scheduler.kvCache().blockTable(1).empty());
            QCOMPARE(f.scheduler.numComputed(1), 0);
            QCOMPARE(f.scheduler.numWaiting(), 1);
            // The tokens generated so far are kept for the recompute.
            QCOMPARE(
                std::vector<TokenId>(f.scheduler.tokens(1).begin(), f.scheduler.tokens(1).end()),
                backgroundTokens);
            // The interactive request got one of the blocks the background one held.
            QCOMPARE(chunks(s.output), (Chunks{{2, 1}}));
            const BlockId grown = s.output.scheduled[0].blockTable.back();
            QVERIFY(std::find(backgroundTable.begin(), backgroundTable.end(), grown) !=
                    backgroundTable.end());
        }
        for (const ScheduledRequest& chunk : s.output.scheduled) {
            if (chunk.id == 1 && preempted && !readmitted) {
                readmitted = true;
                // Its full blocks were still cached, so the recompute starts past them.
                QVERIFY(chunk.startPosition > 0);
                QCOMPARE(chunk.startPosition % kBlockSize, 0);
            }
        }
        for (const FinishedRequest& done : s.finished) {
            QCOMPARE(done.reason, FinishReason::Length);
            outputs[done.id] = done.generated;
        }
    }
    QVERIFY(preempted);
    QVERIFY(readmitted);
    QCOMPARE(outputs[1], expectedOutput(background.prompt, 20));
    QCOMPARE(outputs[2], expectedOutput(interactive.prompt, 30));
    QCOMPARE(f.pool.numUsed(), 0);
}

void TestScheduler::cancellationFreesBlocksWithinOneStep() {
    Fixture f(16, {.tokenBudget = 64, .prefillCostWhileDecoding = 0});
    f.scheduler.add(makeRequest(1, "a", 40, 50));
    f.scheduler.add(makeRequest(2, "b", 20, 50, Priority::Background));
    f.scheduler.add(makeRequest(3, "c", 20, 50, Priority::Background));
    Step s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 40}, {2, 20}, {3, 4}}));
    QCOMPARE(f.pool.numUsed(), 3 + 2 + 1);

    QVERIFY(f.scheduler.cancel(1));
    QVERIFY(f.scheduler.cancel(3));
    QVERIFY(!f.scheduler.cancel(3));
    // Freed at once; request 1's two full blocks and its 8-token tail, and request 3's 4-token
    // one, stay in the prefix cache.
    QCOMPARE(f.pool.numUsed(), 2);
    QCOMPARE(f.pool.numCached(), 4);
    QCOMPARE(f.pool.numFree(), 10);
    QCOMPARE(f.scheduler.numRunning(), 1);

    s = f.step();
    QCOMPARE(s.output.cancelled, (std::vector<RequestId>{1, 3}));
    QCOMPARE(chunks(s.output), (Chunks{{2, 1}}));
    QVERIFY(!f.scheduler.has(1));
    QVERIFY(!f.scheduler.has(3));

    // Cancelling a request that still waits removes it from the queue.
    f.scheduler.add(makeRequest(4, "d", 10, 5));
    QCOMPARE(f.scheduler.numWaiting(), 1);
    QVERIFY(f.scheduler.cancel(4));
    QCOMPARE(f.scheduler.numWaiting(), 0);
    s = f.step();
    QCOMPARE(s.output.cancelled, std::vector<RequestId>{4});
    QCOMPARE(chunks(s.output), (Chunks{{2, 1}}));
    QCOMPARE(s.error, std::string());
}

void TestScheduler::forkedRequestsCopyTheSharedBlockBeforeWriting() {
    Fixture f(16, {.tokenBudget = 64});
    NewRequest parent = makeRequest(1, "a", 20, 6);
    f.scheduler.add(parent);
    Step s = f.step();
    QCOMPARE(s.output.scheduled[0].blockTable, (std::vector<BlockId>{0, 1}));
    // Parent has 21 tokens, 20 computed; the child continues from the same 21.
    QCOMPARE(f.scheduler.fork(1, 2, 5), AddResult::Accepted);
    QCOMPARE(f.pool.refCount(1), 2);
    s = f.step();
    QCOMPARE(s.error, std::string());
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {2, 1}}));
    // The parent is planned first, so it is the one that takes a private copy of block 1.
    const std::vector<BlockCopy> expected{BlockCopy{.from = 1, .to = 2, .numSlots = 4}};
    QCOMPARE(s.output.copies, expected);
    QCOMPARE(s.output.scheduled[0].blockTable, (std::vector<BlockId>{0, 2}));
    QCOMPARE(s.output.scheduled[1].blockTable, (std::vector<BlockId>{0, 1}));
}

void TestScheduler::finishesAtEos() {
    Fixture f(16, {.tokenBudget = 64});
    NewRequest r = makeRequest(1, "a", 10, 100);
    const std::vector<TokenId> expected = expectedOutput(r.prompt, 3);
    r.eos = expected[2];
    f.scheduler.add(r);
    std::vector<FinishedRequest> finished;
    for (int i = 0; i < 10 && finished.empty(); ++i) {
        finished = f.step().finished;
    }
    QCOMPARE(finished.size(), size_t(1));
    QCOMPARE(finished[0].reason, FinishReason::Stop);
    QCOMPARE(finished[0].generated, expected);
    QCOMPARE(f.pool.numUsed(), 0);
}

// With N streams decoding and a long prompt waiting, every step carries the N decode tokens and
// exactly the prompt tokens the cost cap affords at the chunk's position: cost C tokens at
// position 0, a token at position p costing 1 + p / A. With nothing decoding the prompt takes the
// whole budget.
void TestScheduler::promptCostIsCappedWhileStreamsDecode() {
    constexpr int32_t kBudget = 256, kCost = 32, kA = 64;
    constexpr int kStreams = 4;
    Fixture f(128, {.tokenBudget = kBudget,
                    .maxRunning = 8,
                    .prefillCostWhileDecoding = kCost,
                    .attentionCostPositions = kA});
    for (RequestId id = 1; id <= kStreams; ++id) {
        QCOMPARE(f.scheduler.add(makeRequest(id, std::string(1, char('a' + id)), 8, 200)),
                 AddResult::Accepted);
    }
    // Nothing decodes yet: the first prompt takes what it needs, the others share the cap.
    Step s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 8}, {2, 8}, {3, 8}, {4, 8}}));
    QCOMPARE(s.output.decodeTokens, 0);

    constexpr int32_t kLongPrompt = 600;
    QCOMPARE(f.scheduler.add(makeRequest(9, "long", kLongPrompt, 1)), AddResult::Accepted);
    int32_t position = 0;
    int steps = 0;
    while (position < kLongPrompt) {
        s = f.step();
        QCOMPARE(s.error, std::string());
        // The largest n with n * (A + position) <= C * A, at least one token.
        const int32_t capped = std::max(1, kCost * kA / (kA + position));
        const int32_t expected = std::min(capped, kLongPrompt - position);
        QCOMPARE(s.output.decodeTokens, kStreams);
        QCOMPARE(s.output.totalTokens - s.output.decodeTokens, expected);
        QCOMPARE(s.output.scheduled.back().id, RequestId(9));
        QCOMPARE(s.output.scheduled.back().startPosition, position);
        position += expected;
        ++steps;
    }
    QVERIFY(s.output.scheduled.back().samples);
    QVERIFY(steps > kLongPrompt / kCost);  // the attention cost made later chunks smaller

    // The streams finish; a long prompt alone gets the whole budget.
    while (f.scheduler.numRunning() > 0) {
        s = f.step();
        QCOMPARE(s.error, std::string());
    }
    QCOMPARE(f.scheduler.add(makeRequest(10, "alone", kLongPrompt, 1)), AddResult::Accepted);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{10, kBudget}}));
    QCOMPARE(s.output.decodeTokens, 0);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{10, kBudget}}));
}

// Without an attention cost every prompt token costs the same: the cap is C tokens a step.
void TestScheduler::promptCostCapGrowsCheaperWithoutAttentionCost() {
    Fixture f(64, {.tokenBudget = 128, .prefillCostWhileDecoding = 24});
    f.scheduler.add(makeRequest(1, "a", 5, 100));
    Step s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 5}}));
    f.scheduler.add(makeRequest(2, "b", 100, 4));
    for (int32_t position = 0; position < 100; position += 24) {
        s = f.step();
        QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {2, std::min(24, 100 - position)}}));
        QCOMPARE(s.output.scheduled[1].startPosition, position);
    }
}

// Three prompts arrive at once with nothing decoding: the first is computed whole in the first
// step and the cap limits the rest, so the earlier prompts sample their first token steps before
// the later ones instead of all together.
void TestScheduler::promptsArrivingTogetherFinishInArrivalOrder() {
    Fixture f(64, {.tokenBudget = 256, .prefillCostWhileDecoding = 20});
    f.scheduler.add(makeRequest(1, "a", 30, 10));
    f.scheduler.add(makeRequest(2, "b", 30, 10));
    f.scheduler.add(makeRequest(3, "c", 30, 10));
    Step s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 30}, {2, 20}}));
    QVERIFY(s.output.scheduled[0].samples);
    QVERIFY(!s.output.scheduled[1].samples);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {2, 10}, {3, 10}}));
    QVERIFY(s.output.scheduled[1].samples);
    s = f.step();
    QCOMPARE(chunks(s.output), (Chunks{{1, 1}, {2, 1}, {3, 20}}));
    QVERIFY(s.output.scheduled[2].samples);
    QCOMPARE(s.error, std::string());
}

// Twelve streams decode: the prompt cost of a step is 3 per decode (36) rather than the floor of 8.
void TestScheduler::promptCostCapScalesWithManyDecodes() {
    constexpr int kStreams = 12;
    Fixture f(128, {.tokenBudget = 256,
                    .maxRunning = 16,
                    .prefillCostWhileDecoding = 8,
                    .prefillCostPerDecode = 3});
    for (int id = 1; id <= kStreams; ++id) {
        f.scheduler.add(makeRequest(RequestId(id), std::string(1, char('a' + id)), 4, 50));
    }
    Step s = f.step();  // the first prompt whole, then 8 tokens of cost: two more prompts
    QCOMPARE(chunks(s.output), (Chunks{{1, 4}, {2, 4}, {3, 4}}));
    while (f.scheduler.numWaiting() > 0 || s.output.decodeTokens < kStreams) {
        s = f.step();
        QCOMPARE(s.error, std::string());
        QVERIFY(s.output.totalTokens - s.output.decodeTokens <=
                std::max(8, 3 * s.output.decodeTokens));
    }
    f.scheduler.add(makeRequest(50, "long", 200, 1));
    s = f.step();
    QCOMPARE(s.output.decodeTokens, kStreams);
    QCOMPARE(s.output.totalTokens - s.output.decodeTokens, 3 * kStreams);
}

QTEST_GUILESS_MAIN(TestScheduler)
#include "test_scheduler.moc"
