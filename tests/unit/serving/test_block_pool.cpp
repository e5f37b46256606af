#include "serving/block_pool.h"
#include "serving/prefix_cache.h"

#include <QtTest>

using namespace parley::serving;

class TestBlockPool : public QObject {
    Q_OBJECT

  private slots:
    void allocatesInIdOrderUntilExhausted();
    void releasedBlocksGoToTheBackOfTheFreeList();
    void cachedBlocksAreEvictedOnlyWhenNoFreeBlockIsLeft();
    void evictionIsLeastRecentlyReleasedFirst();
    void retainingACachedBlockTakesItOffTheEvictionList();
    void prefixCacheForgetsEvictedBlocks();
};

void TestBlockPool::allocatesInIdOrderUntilExhausted() {
    BlockPool pool(3);
    QCOMPARE(pool.numFree(), 3);
    QCOMPARE(pool.allocate(), std::optional<BlockId>(0));
    QCOMPARE(pool.allocate(), std::optional<BlockId>(1));
    QCOMPARE(pool.allocate(), std::optional<BlockId>(2));
    QCOMPARE(pool.allocate(), std::nullopt);
    QCOMPARE(pool.numUsed(), 3);
    QCOMPARE(pool.numFree(), 0);
    QCOMPARE(pool.refCount(1), 1);
}

void TestBlockPool::releasedBlocksGoToTheBackOfTheFreeList() {
    BlockPool pool(4);
    for (int i = 0; i < 4; ++i) {
        pool.allocate();
    }
    pool.release(2);
    pool.release(0);
    QCOMPARE(pool.allocationOrder(), (std::vector<BlockId>{2, 0}));
    pool.retain(1);
    pool.release(1);
    QCOMPARE(pool.refCount(1), 1);  // still held once: not freed
    QCOMPARE(pool.allocate(), std::optional<BlockId>(2));
    QCOMPARE(pool.allocate(), std::optional<BlockId>(0));
    QCOMPARE(pool.numUsed(), 4);
}

void TestBlockPool::cachedBlocksAreEvictedOnlyWhenNoFreeBlockIsLeft() {
    BlockPool pool(3);
    for (int i = 0; i < 3; ++i) {
        pool.allocate();
    }
    pool.setHash(0, 0xabc);
    pool.release(0);
    pool.release(2);
    QCOMPARE(pool.numCached(), 1);
    QCOMPARE(pool.numFree(), 1);
    QCOMPARE(pool.numUsed(), 1);
    QCOMPARE(pool.allocate(), std::optional<BlockId>(2));  // the truly free block first
    QCOMPARE(pool.hash(0), std::optional<BlockHash>(0xabc));
    QCOMPARE(pool.allocate(), std::optional<BlockId>(0));  // then the cached one, hash dropped
    QCOMPARE(pool.hash(0), std::nullopt);
    QCOMPARE(pool.numCached(), 0);
    QCOMPARE(pool.allocate(), std::nullopt);
}

void TestBlockPool::evictionIsLeastRecentlyReleasedFirst() {
    BlockPool pool(4);
    for (BlockId id = 0; id < 4; ++id) {
        pool.allocate();
        pool.setHash(id, BlockHash(100 + id));
    }
    for (BlockId id : {2, 0, 3, 1}) {
        pool.release(id);
    }
    QCOMPARE(pool.allocationOrder(), (std::vector<BlockId>{2, 0, 3, 1}));
    std::vector<BlockId> evicted;
    pool.setEvictionListener([&](BlockId id, BlockHash hash) {
        QCOMPARE(hash, BlockHash(100 + id));
        evicted.push_back(id);
    });
    QCOMPARE(pool.allocate(), std::optional<BlockId>(2));
    QCOMPARE(pool.allocate(), std::optional<BlockId>(0));
    QCOMPARE(evicted, (std::vector<BlockId>{2, 0}));
    QCOMPARE(pool.numCached(), 2);
    QCOMPARE(pool.numUsed(), 2);
}

void TestBlockPool::retainingACachedBlockTakesItOffTheEvictionList() {
    BlockPool pool(3);
    for (BlockId id = 0; id < 3; ++id) {
        pool.allocate();
        pool.setHash(id, BlockHash(id + 1));
    }
    pool.release(0);
    pool.release(1);
    pool.release(2);
    pool.retain(1);
    QCOMPARE(pool.refCount(1), 1);
    QCOMPARE(pool.numCached(), 2);
    QCOMPARE(pool.allocationOrder(), (std::vector<BlockId>{0, 2}));
    // Released again it becomes the most recently used cached block.
    pool.release(1);
    QCOMPARE(pool.allocationOrder(), (std::vector<BlockId>{0, 2, 1}));
    QCOMPARE(pool.numUsed() + pool.numFree() + pool.numCached(), pool.numBlocks());
}

void TestBlockPool::prefixCacheForgetsEvictedBlocks() {
    BlockPool pool(2);
    PrefixCache cache(pool, 7);
    std::vector<TokenId> tokens(kBlockSize * 2);
    for (size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = TokenId(i);
    }
    const BlockId first = *pool.allocate();
    const BlockHash hash = cache.blockHash(cache.rootHash(), std::span(tokens).first(kBlockSize));
    cache.insert(cache.rootHash(), hash, first, std::span(tokens).first(kBlockSize));
    pool.release(first);
    QCOMPARE(cache.size(), 1);
    QCOMPARE(cache.lookup(tokens, 2 * kBlockSize).blocks, std::vector<BlockId>{first});
    pool.release(first);
    pool.allocate();  // the free block
    pool.allocate();  // evicts the cached one
    QCOMPARE(cache.size(), 0);
    QVERIFY(cache.lookup(tokens, 2 * kBlockSize).blocks.empty());
    QCOMPARE(cache.queryTokens(), 2 * 2 * kBlockSize);
    QCOMPARE(cache.hitTokens(), kBlockSize);
}

QTEST_GUILESS_MAIN(TestBlockPool)
#include "test_block_pool.moc"
