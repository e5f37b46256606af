#include "serving/kv_cache_manager.h"

#include <QtTest>

using namespace parley::serving;

namespace {

// `length` tokens: the first `sharedPrefix` from a sequence common to all seeds, the rest from
// `seed`.
std::vector<TokenId> makeTokens(size_t length, size_t sharedPrefix, int seed) {
    std::vector<TokenId> tokens(length);
    for (size_t i = 0; i < length; ++i) {
        tokens[i] = i < sharedPrefix ? TokenId(10 + i) : TokenId(5000 + seed * 1000 + int(i));
    }
    return tokens;
}

// Admits and fully computes `tokens` for `request`, registering its full blocks.
int32_t prefill(KvCacheManager& manager, RequestId request, const std::vector<TokenId>& tokens) {
    const int32_t cached = manager.admit(request, tokens);
    if (!manager.allocateSlots(request, cached, int32_t(tokens.size()) - cached)) {
        return -1;
    }
    manager.cacheFullBlocks(request, tokens, int32_t(tokens.size()));
    return cached;
}

std::vector<BlockId> table(const KvCacheManager& manager, RequestId request) {
    const auto blocks = manager.blockTable(request);
    return {blocks.begin(), blocks.end()};
}

}  // namespace

class TestKvCacheManager : public QObject {
    Q_OBJECT

  private slots:
    void secondRequestReusesTheCachedPrefix();
    void onlyIdenticalPrefixesShare();
    void differentModelsNeverShare();
    void wholePromptHitLeavesOneTokenToCompute();
    void failedAllocationAllocatesNothing();
    void forkSharesBlocksAndCopiesTheLastOnWrite();
    void forkAtABlockBoundaryNeedsNoCopy();
    void sharedEmptyBlockIsReplacedWithoutCopy();
    void freedRequestLeavesItsFullBlocksCached();
    void freedRequestLeavesItsPartlyFilledBlockCached();
    void sharedLastBlockIsNotCachedAsATail();
};

void TestKvCacheManager::secondRequestReusesTheCachedPrefix() {
    BlockPool pool(16);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    const auto first = makeTokens(64 + 5, 64, 1);
    const auto second = makeTokens(64 + 9, 64, 2);

    QCOMPARE(prefill(manager, 1, first), 0);
    QCOMPARE(table(manager, 1), (std::vector<BlockId>{0, 1, 2, 3, 4}));
    QCOMPARE(cache.hitTokens(), 0);
    QCOMPARE(cache.size(), 4);  // the partly filled fifth block is not cached

    QCOMPARE(prefill(manager, 2, second), 64);
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1, 2, 3, 5}));
    QCOMPARE(cache.hitTokens(), 64);
    QCOMPARE(cache.queryTokens(), 69 + 73);
    for (BlockId id : {0, 1, 2, 3}) {
        QCOMPARE(pool.refCount(id), 2);
    }
    QCOMPARE(pool.refCount(4), 1);
    QCOMPARE(pool.numUsed(), 6);
}

void TestKvCacheManager::onlyIdenticalPrefixesShare() {
    BlockPool pool(16);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    const auto alice = makeTokens(40, 40, 0);
    auto bob = alice;
    bob[20] += 1;  // differs inside the second block
    const auto carol = makeTokens(40, 0, 3);

    QCOMPARE(prefill(manager, 1, alice), 0);
    QCOMPARE(table(manager, 1), (std::vector<BlockId>{0, 1, 2}));
    // Bob shares the first block and the four tokens of alice's second block before his change:
    // he gets a private copy of those four slots before writing his own.
    QCOMPARE(manager.admit(2, bob), 20);
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1}));
    const auto copies = manager.allocateSlots(2, 20, 20);
    QVERIFY(copies.has_value());
    QCOMPARE(*copies, (std::vector<BlockCopy>{{.from = 1, .to = 3, .numSlots = 4}}));
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 3, 4}));
    QCOMPARE(pool.refCount(1), 1);  // alice's alone again
    QCOMPARE(prefill(manager, 3, carol), 0);
    for (BlockId id : table(manager, 3)) {
        QCOMPARE(pool.refCount(id), 1);
    }
    QCOMPARE(cache.hitTokens(), 20);
}

void TestKvCacheManager::differentModelsNeverShare() {
    BlockPool pool(8);
    PrefixCache small(pool, 1);
    PrefixCache large(pool, 2);
    const auto tokens = makeTokens(kBlockSize, kBlockSize, 0);
    QVERIFY(small.blockHash(small.rootHash(), tokens) != large.blockHash(large.rootHash(), tokens));
}

void TestKvCacheManager::wholePromptHitLeavesOneTokenToCompute() {
    BlockPool pool(8);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    const auto tokens = makeTokens(64, 64, 0);
    QCOMPARE(prefill(manager, 1, tokens), 0);
    // All four blocks are cached, but the last token must run again for its logits: 15 slots of
    // the last block are reused, copied before the token is written.
    QCOMPARE(manager.admit(2, tokens), 63);
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1, 2, 3}));
    const auto copies = manager.allocateSlots(2, 63, 1);
    QVERIFY(copies.has_value());
    QCOMPARE(*copies, (std::vector<BlockCopy>{{.from = 3, .to = 4, .numSlots = 15}}));
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1, 2, 4}));
}

void TestKvCacheManager::failedAllocationAllocatesNothing() {
    BlockPool pool(4);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    QVERIFY(manager.allocateSlots(1, 0, 48).has_value());
    QCOMPARE(pool.numUsed(), 3);
    QVERIFY(!manager.allocateSlots(2, 0, 20).has_value());
    QCOMPARE(pool.numUsed(), 3);
    QVERIFY(manager.blockTable(2).empty());
    QCOMPARE(manager.totalReferences(), 3);
    QVERIFY(manager.allocateSlots(2, 0, 16).has_value());
    QCOMPARE(table(manager, 2), std::vector<BlockId>{3});
}

void TestKvCacheManager::forkSharesBlocksAndCopiesTheLastOnWrite() {
    BlockPool pool(8);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    QCOMPARE(prefill(manager, 1, makeTokens(20, 20, 0)), 0);
    manager.fork(1, 2);
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1}));
    QCOMPARE(pool.refCount(0), 2);
    QCOMPARE(pool.refCount(1), 2);

    // The child writes position 20 first: block 1 holds 4 filled slots and is shared.
    const auto childCopies = manager.allocateSlots(2, 20, 1);
    QVERIFY(childCopies.has_value());
    const std::vector<BlockCopy> expected{BlockCopy{.from = 1, .to = 2, .numSlots = 4}};
    QCOMPARE(*childCopies, expected);
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 2}));
    QCOMPARE(pool.refCount(1), 1);
    QCOMPARE(pool.refCount(0), 2);  // full blocks stay shared

    // The parent now owns block 1 alone and writes in place.
    const auto parentCopies = manager.allocateSlots(1, 20, 1);
    QVERIFY(parentCopies.has_value());
    QVERIFY(parentCopies->empty());
    QCOMPARE(table(manager, 1), (std::vector<BlockId>{0, 1}));
    QCOMPARE(manager.totalReferences(), 4);
    QCOMPARE(pool.numUsed(), 3);
}

void TestKvCacheManager::forkAtABlockBoundaryNeedsNoCopy() {
    BlockPool pool(8);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    QCOMPARE(prefill(manager, 1, makeTokens(32, 32, 0)), 0);
    manager.fork(1, 2);
    const auto copies = manager.allocateSlots(2, 32, 1);
    QVERIFY(copies.has_value());
    QVERIFY(copies->empty());
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1, 2}));
}

void TestKvCacheManager::sharedEmptyBlockIsReplacedWithoutCopy() {
    BlockPool pool(8);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    QCOMPARE(prefill(manager, 1, makeTokens(32, 32, 0)), 0);
    // Block 2 is reserved for positions 32.. of a step in flight when the fork happens.
    QVERIFY(manager.allocateSlots(1, 32, 4).has_value());
    manager.fork(1, 2);
    QCOMPARE(pool.refCount(2), 2);
    const auto copies = manager.allocateSlots(2, 32, 4);
    QVERIFY(copies.has_value());
    QVERIFY(copies->empty());  // nothing of the child's is in it yet
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1, 3}));
    QCOMPARE(pool.refCount(2), 1);
}

void TestKvCacheManager::freedRequestLeavesItsFullBlocksCached() {
    BlockPool pool(8);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    QCOMPARE(prefill(manager, 1, makeTokens(40, 40, 0)), 0);
    manager.free(1);
    QVERIFY(!manager.has(1));
    QCOMPARE(pool.numUsed(), 0);
    QCOMPARE(pool.numCached(), 2);
    QCOMPARE(pool.numFree(), 6);
    // Tail first: the request's later full block is evicted before its first.
    QCOMPARE(pool.allocationOrder(), (std::vector<BlockId>{3, 4, 5, 6, 7, 2, 1, 0}));
}

// A finished turn's last, partly filled block (its prompt's end and answer) is found again by
// the next turn that starts with the same tokens, and only those slots are reused.
void TestKvCacheManager::freedRequestLeavesItsPartlyFilledBlockCached() {
    BlockPool pool(8);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    const auto turn = makeTokens(40, 40, 0);
    QCOMPARE(prefill(manager, 1, turn), 0);
    manager.free(1, turn, 40);
    QCOMPARE(pool.numUsed(), 0);
    QCOMPARE(pool.numCached(), 3);  // two full blocks and the 8-token tail
    QCOMPARE(cache.size(), 3);

    auto next = turn;
    for (int i = 0; i < 12; ++i) {
        next.push_back(TokenId(9000 + i));
    }
    QCOMPARE(manager.admit(2, next), 40);
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1, 2}));
    const auto copies = manager.allocateSlots(2, 40, 12);
    QVERIFY(copies.has_value());
    QCOMPARE(*copies, (std::vector<BlockCopy>{{.from = 2, .to = 3, .numSlots = 8}}));
    QCOMPARE(table(manager, 2), (std::vector<BlockId>{0, 1, 3, 4}));
    QCOMPARE(pool.refCount(2), 0);  // the tail stays cached for another turn
    QCOMPARE(pool.numCached(), 1);

    // A turn that departs inside the tail reuses only the tokens before the change.
    auto other = turn;
    other[37] += 1;
    other.push_back(TokenId(7));
    QCOMPARE(manager.admit(3, other), 37);
    QCOMPARE(table(manager, 3), (std::vector<BlockId>{0, 1, 2}));
    manager.free(3);
    QCOMPARE(cache.hitTokens(), 40 + 37);

    // Evicted, the tail is forgotten.
    manager.free(2);
    while (pool.numFree() > 0) {
        pool.allocate();
    }
    QCOMPARE(pool.allocationOrder().front(), 2);
    pool.allocate();
    QCOMPARE(cache.size(), 2);
    QCOMPARE(manager.admit(4, turn), 32);
}

// A block another table still holds (a fork) keeps changing: it is not cached as a tail.
void TestKvCacheManager::sharedLastBlockIsNotCachedAsATail() {
    BlockPool pool(8);
    PrefixCache cache(pool, 1);
    KvCacheManager manager(pool, cache);
    const auto tokens = makeTokens(20, 20, 0);
    QCOMPARE(prefill(manager, 1, tokens), 0);
    manager.fork(1, 2);
    manager.free(1, tokens, 20);
    QCOMPARE(cache.size(), 1);
    QCOMPARE(pool.refCount(1), 1);
    manager.free(2, tokens, 20);
    QCOMPARE(cache.size(), 2);
    QCOMPARE(pool.numCached(), 2);
}

QTEST_GUILESS_MAIN(TestKvCacheManager)
#include "test_kv_cache_manager.moc"
