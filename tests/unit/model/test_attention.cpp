// Attention's vector kernels give exactly the bits of a plain scalar evaluation in the same order
// (f16 queries, q.k in the tile's lane order, exp and its sum in aligned chunks of 16, f16
// probabilities, values summed per lane with zero weights skipped, lanes combined pairwise): the
// reference parity of the whole model rests on this order, so the test compares with memcmp.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "inference/cpu/matmul.h"
#include "inference/model/attention.h"
#include "inference/ops/polynomial_exp.h"
#include "inference/ops/vector_ops.h"
#include "inference/quant/dequantize.h"

using namespace parley;
using model::AttentionShape;
using model::AttentionTile;
using ops::LaneOrder;

namespace {

constexpr int32_t kBlock = 16;

float roundF16(float x) {
    return quant::f16ToF32(quant::f32ToF16(x));
}

float pairwise16(const float* v) {
    float t[8];
    for (int l = 0; l < 8; ++l)
        t[l] = v[l] + v[l + 8];
    float u[4];
    for (int l = 0; l < 4; ++l)
        u[l] = t[l] + t[l + 4];
    return (u[0] + u[2]) + (u[1] + u[3]);
}

// The lanes combined as (l, l+32), (l, l+16) for 64 lanes, then as pairwise16.
float combined(std::vector<float> lanes) {
    if (lanes.size() == 64) {
        for (int l = 0; l < 32; ++l)
            lanes[l] += lanes[l + 32];
        for (int l = 0; l < 16; ++l)
            lanes[l] += lanes[l + 16];
    }
    return pairwise16(lanes.data());
}

float referenceDot(const std::vector<float>& q, const std::vector<float>& k, LaneOrder order) {
    const int lanes = ops::laneCount(order);
    const size_t body = q.size() - q.size() % lanes;
    std::vector<float> acc(lanes, 0.0f);
    for (size_t d = 0; d < body; ++d)
        acc[d % lanes] = std::fma(q[d], k[d], acc[d % lanes]);
    if (order == LaneOrder::Lanes16)
        return combined(std::move(acc));
    double sum = combined(acc);
    for (size_t d = body; d < q.size(); ++d)
        sum += double(q[d] * k[d]);
    return float(sum);
}

struct Cache {
    model::KvPool kv;
    std::vector<int32_t> table;  // shuffled, so that positions do not lie in block order
};

// Cache row of position p, KV head h, widened into `out` (headDim floats).
void cacheRow(const Cache& c, bool value, int32_t p, int32_t h, std::vector<float>& out) {
    const int32_t block = c.table[p / kBlock];
    const uint16_t* r = value ? c.kv.value(0, block, p % kBlock) : c.kv.key(0, block, p % kBlock);
    const int64_t hd = int64_t(out.size());
    for (int64_t d = 0; d < hd; ++d)
        out[d] = quant::f16ToF32(r[h * hd + d]);
}

// One query head of one token, position by position. Masked positions would add exact zeros to
// the exp sum and be skipped in the values, so only the visible ones are visited.
std::vector<float> referenceHead(const AttentionShape& s, const Cache& c, const float* q,
                                 int32_t position, int32_t kvHead, LaneOrder order) {
    const int32_t hd = s.headDim;
    std::vector<float> query(hd);
    for (int32_t d = 0; d < hd; ++d)
        query[d] = roundF16(q[d] * s.queryScale);
    const int32_t first = s.window > 0 ? std::max(0, position - s.window + 1) : 0;
    std::vector<float> p(position + 1, 0.0f);  // indexed by position
    float maxScore = -std::numeric_limits<float>::infinity();
    std::vector<float> row(hd);
    for (int32_t j = first; j <= position; ++j) {
        cacheRow(c, false, j, kvHead, row);
        p[j] = referenceDot(query, row, order) * s.scoreScale;
        maxScore = std::max(maxScore, p[j]);
    }
    for (int32_t j = first; j <= position; ++j)
        p[j] = ops::polynomialExp(p[j] - maxScore);
    double sum = 0.0;
    for (int32_t start = first - first % 16; start <= position; start += 16) {
        float chunk[16] = {};
        for (int l = 0; l < 16; ++l) {
            if (start + l >= first && start + l <= position)
                chunk[l] = p[start + l];
        }
        sum += pairwise16(chunk);
    }
    const float inv = float(1.0 / sum);
    const int lanes = ops::laneCount(order);
    std::vector<std::vector<float>> acc(hd, std::vector<float>(lanes, 0.0f));
    for (int32_t j = first; j <= position; ++j) {
        const float w = roundF16(p[j] * inv);
        if (w == 0.0f)
            continue;
        cacheRow(c, true, j, kvHead, row);
        for (int32_t d = 0; d < hd; ++d)
            acc[d][j % lanes] = std::fma(w, row[d], acc[d][j % lanes]);
    }
    std::vector<float> out(hd);
    for (int32_t d = 0; d < hd; ++d)
        out[d] = combined(acc[d]);
    return out;
}

Cache randomCache(int32_t kvDim, int32_t positions, unsigned seed) {
    const int32_t blocks = positions / kBlock + 1;
    Cache c{model::KvPool(1, kvDim, kBlock, blocks), std::vector<int32_t>(blocks)};
    std::iota(c.table.begin(), c.table.end(), 0);
    std::mt19937 rng(seed);
    std::shuffle(c.table.begin(), c.table.end(), rng);
    std::normal_distribution<float> normal(0.0f, 1.5f);
    std::vector<float> x(kvDim);
    for (int32_t b = 0; b < blocks; ++b) {
        for (int32_t slot = 0; slot < kBlock; ++slot) {
            for (auto& v : x)
                v = normal(rng);
            ops::toF16(x.data(), c.kv.key(0, b, slot), kvDim);
            for (auto& v : x)
                v = normal(rng);
            ops::toF16(x.data(), c.kv.value(0, b, slot), kvDim);
        }
    }
    return c;
}

// attendTile over `count` tokens at `firstPosition`, every KV head, against referenceHead.
void checkTile(const AttentionShape& s, int32_t count, int32_t firstPosition, LaneOrder order,
               Cache& c, unsigned seed) {
    const int32_t qStride = s.nHead * s.headDim;
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<float> q(int64_t(count) * qStride);
    for (auto& v : q)
        v = normal(rng);
    std::vector<float> out(q.size(), 0.0f);
    model::AttentionScratch scratch;
    for (int32_t h = 0; h < s.nHeadKv; ++h) {
        model::attendTile(s, AttentionTile{0, count, firstPosition, c.table, h, order}, 0, c.kv,
                          q.data(), out.data(), scratch);
    }
    const int32_t group = s.nHead / s.nHeadKv;
    for (int32_t t = 0; t < count; ++t) {
        for (int32_t h = 0; h < s.nHead; ++h) {
            const int64_t at = int64_t(t) * qStride + int64_t(h) * s.headDim;
            const auto want = referenceHead(s, c, &q[at], firstPosition + t, h / group, order);
            if (std::memcmp(want.data(), &out[at], want.size() * sizeof(float)) == 0)
                continue;
            int32_t d = 0;
            while (std::memcmp(&want[d], &out[at + d], sizeof(float)) == 0)
                ++d;
            QFAIL(qPrintable(QStringLiteral("head dim %1, window %2, %3 tokens at %4: token %5 "
                                            "head %6 dim %7 is %8, the scalar order gives %9")
                                 .arg(s.headDim)
                                 .arg(s.window)
                                 .arg(count)
                                 .arg(firstPosition)
                                 .arg(t)
                                 .arg(h)
                                 .arg(d)
                                 .arg(double(out[at + d]), 0, 'g', 9)
                                 .arg(double(want[d]), 0, 'g', 9)));
        }
    }
}

// One data row per instruction set the machine has (attention's kernels follow cpu::activeIsa).
void addIsaRows(const char* name) {
    for (int isa = 0; isa <= static_cast<int>(cpu::detectedIsa()); ++isa) {
        QTest::addRow("%s, %s", name, cpu::isaName(static_cast<cpu::Isa>(isa))) << isa;
    }
}

}  // namespace

class TestAttention : public QObject {
    Q_OBJECT
  private slots:
    void cleanup() { cpu::setIsa(cpu::detectedIsa()); }

    void matchesScalarOrder_data() {
        QTest::addColumn<int>("nHead");
        QTest::addColumn<int>("nHeadKv");
        QTest::addColumn<int>("headDim");
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("isa");
        // SmolLM2's and Gemma 3's shapes (Gemma's sliding window scaled down), and a head size
        // that is not a whole number of 64-lane rows (Lanes64's tail in double).
        const struct {
            const char* name;
            int nHead, nHeadKv, headDim, window;
        } shapes[] = {{"smollm2", 9, 3, 64, 0},
                      {"gemma3 global", 4, 1, 256, 0},
                      {"gemma3 sliding", 4, 1, 256, 100},
                      {"head 80, sliding", 4, 2, 80, 37}};
        for (const auto& shape : shapes) {
            for (int isa = 0; isa <= static_cast<int>(cpu::detectedIsa()); ++isa) {
                QTest::addRow("%s, %s", shape.name, cpu::isaName(static_cast<cpu::Isa>(isa)))
                    << shape.nHead << shape.nHeadKv << shape.headDim << shape.window << isa;
            }
        }
    }

    void matchesScalarOrder() {
        QFETCH(int, nHead);
        QFETCH(int, nHeadKv);
        QFETCH(int, headDim);
        QFETCH(int, window);
        QFETCH(int, isa);
        cpu::setIsa(static_cast<cpu::Isa>(isa));
        QCOMPARE(static_cast<int>(cpu::activeIsa()), isa);
        const AttentionShape shape{nHead, nHeadKv, headDim, window, 0.125f, 1.0f};
        Cache c = randomCache(nHeadKv * headDim, 1200, unsigned(headDim + window));
        unsigned seed = 1;
        // One token (the decode order) and tiles of several (few queries, and enough that the
        // values are widened once), at the start, inside and across block edges.
        for (int32_t position : {0, 5, 63, 64, 333, 1000})
            checkTile(shape, 1, position, LaneOrder::Lanes64, c, seed++);
        for (auto [count, position] :
             {std::pair{16, 0}, {2, 17}, {16, 300}, {5, 1001}, {16, 1183}}) {
            if (headDim % 16 == 0)
                checkTile(shape, count, position, LaneOrder::Lanes16, c, seed++);
            checkTile(shape, count, position, LaneOrder::Lanes64, c, seed++);
        }
    }

    // Every register tile and its remainders: 1 to 40 queries a tile (one query head per KV
    // head, so a tile's queries are its tokens), in both orders, over key counts that are not a
    // whole number of vectors, over short contexts and ones with several positions per lane.
    void everyTileSize_data() {
        QTest::addColumn<int>("isa");
        addIsaRows("tiles");
    }

    void everyTileSize() {
        QFETCH(int, isa);
        cpu::setIsa(static_cast<cpu::Isa>(isa));
        const AttentionShape shape{2, 2, 64, 0, 0.125f, 1.0f};
        Cache c = randomCache(2 * 64, 400, 5);
        unsigned seed = 100;
        for (int32_t count = 1; count <= 40; ++count) {
            for (int32_t position : {5 + count, 200 + 2 * count}) {
                checkTile(shape, count, position, LaneOrder::Lanes16, c, seed++);
                checkTile(shape, count, position, LaneOrder::Lanes64, c, seed++);
                if (QTest::currentTestFailed())
                    return;
            }
        }
    }

    void zeroWeightsSkipInfiniteValues_data() {
        QTest::addColumn<int>("isa");
        addIsaRows("infinite");
    }

    // An infinite value the window hides from later tokens: their zero weight must skip it, as
    // in the scalar order, not turn into 0 * inf. With many queries a tile (values widened once)
    // and with few over a long context (each lane's chain over f16 rows).
    void zeroWeightsSkipInfiniteValues() {
        QFETCH(int, isa);
        cpu::setIsa(static_cast<cpu::Isa>(isa));
        const AttentionShape shape{4, 1, 64, 8, 0.125f, 1.0f};
        Cache c = randomCache(64, 400, 3);
        const int32_t infinite = 100;
        uint16_t* v = c.kv.value(0, c.table[infinite / kBlock], infinite % kBlock);
        v[7] = 0x7c00;  // +inf in f16
        checkTile(shape, 16, 103, LaneOrder::Lanes16, c, 11);
        checkTile(shape, 16, 103, LaneOrder::Lanes64, c, 12);
        // A later token's own position is hidden from the tile's first token.
        const AttentionShape causal{3, 1, 64, 0, 0.125f, 1.0f};
        const int32_t late = 301;
        c.kv.value(0, c.table[late / kBlock], late % kBlock)[20] = 0xfc00;  // -inf
        checkTile(causal, 2, 300, LaneOrder::Lanes16, c, 13);
        checkTile(causal, 2, 300, LaneOrder::Lanes64, c, 14);
    }
};

QTEST_GUILESS_MAIN(TestAttention)
#include "test_attention.moc"
