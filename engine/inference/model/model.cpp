#include "inference/model/model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "inference/ops/vector_ops.h"

namespace parley::model {
namespace {

// In float, like the reference: RoPE angles are running products of this value.
float ropeThetaScale(int32_t nRot, float base) {
    return std::pow(base, -2.0f / float(nRot));
}

void resize(std::vector<float>& v, int64_t n) {
    if (static_cast<int64_t>(v.size()) < n)
        v.resize(n);
}

}  // namespace

Result<std::unique_ptr<Model>> Model::load(const std::filesystem::path& path) {
    auto file = gguf::GgufFile::open(path);
    if (!file)
        return file.error();
    auto hp = readHparams(*file);
    if (!hp)
        return hp.error();
    auto weights = bindWeights(*file, *hp);
    if (!weights)
        return weights.error();
    return std::unique_ptr<Model>(
        new Model(std::move(file.value()), std::move(hp.value()), std::move(weights.value())));
}

Model::Model(gguf::GgufFile file, Hparams hp, Weights weights)
    : file_(std::move(file)),
      hp_(std::move(hp)),
      w_(std::move(weights)),
      ropeThetaScale_(ropeThetaScale(hp_.nRot, hp_.ropeBase)),
      ropeThetaScaleSwa_(ropeThetaScale(hp_.nRot, hp_.ropeBaseSwa)) {}

KvPool Model::makeKvPool(int32_t numBlocks, int32_t blockSize) const {
    return KvPool(hp_.nLayer, hp_.kvDim(), blockSize, numBlocks);
}

bool Model::readsMappedBytes(const gguf::TensorInfo& tensor) const {
    const void* bytes = file_.tensorData(tensor).data();
    const auto copied = [bytes](const cpu::WeightMatrix& m) {
        return m.interleaved != nullptr && m.data == bytes;
    };
    if (copied(w_.tokenEmbedding) || copied(w_.output))
        return false;
    for (const LayerWeights& L : w_.layers) {
        for (const cpu::WeightMatrix* m :
             {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffnGate, &L.ffnUp, &L.ffnDown}) {
            if (copied(*m))
                return false;
        }
    }
    return true;
}

Status Model::forward(std::span<const SequenceStep> batch, KvPool& kv, cpu::ThreadPool& pool,
                      ForwardWorkspace& ws, ForwardOutput& out) const {
    const int32_t E = hp_.nEmbd;
    const int32_t bs = kv.blockSize();

    // Lay the batch out token by token and check it before touching any memory.
    ws.positions.clear();
    ws.sequenceOf.clear();
    ws.kQuantOrders.clear();
    ws.logitOrders.clear();
    int64_t logitRows = 0;
    out.firstRow.assign(batch.size(), -1);
    for (std::size_t s = 0; s < batch.size(); ++s) {
        const auto& step = batch[s];
        const int64_t end = int64_t(step.startPosition) + int64_t(step.tokens.size());
        if (step.startPosition < 0 || int64_t(step.blockTable.size()) * bs < end) {
            return makeError("batch entry " + std::to_string(s) + ": block table of " +
                             std::to_string(step.blockTable.size()) + " blocks does not cover " +
                             std::to_string(end) + " positions");
        }
        for (int32_t b : step.blockTable) {
            if (b < 0 || b >= kv.numBlocks()) {
                return makeError("batch entry " + std::to_string(s) + ": block id " +
                                 std::to_string(b) + " out of range");
            }
        }
        for (std::size_t i = 0; i < step.tokens.size(); ++i) {
            if (step.tokens[i] < 0 || step.tokens[i] >= hp_.nVocab) {
                return makeError("token id " + std::to_string(step.tokens[i]) +
                                 " outside the vocabulary");
            }
            ws.positions.push_back(step.startPosition + int32_t(i));
            ws.sequenceOf.push_back(int32_t(s));
            // Each sequence's step sums its K-quant products as llama.cpp sums that step alone.
            ws.kQuantOrders.push_back(cpu::kQuantOrder(int64_t(i), int64_t(step.tokens.size())));
        }
        if (step.tokens.empty() || step.logits == LogitsWanted::None)
            continue;
        out.firstRow[s] = int32_t(logitRows);
        const int64_t rows = step.logits == LogitsWanted::All ? int64_t(step.tokens.size()) : 1;
        for (int64_t i = 0; i < rows; ++i)
            ws.logitOrders.push_back(cpu::kQuantOrder(i, rows));
        logitRows += rows;
    }
    const int64_t T = int64_t(ws.positions.size());
    if (T == 0) {
        out.logits.clear();
        return Ok{};
    }

    resize(ws.x, T * E);
    resize(ws.xn, T * E);
    resize(ws.q, T * hp_.qDim());
    resize(ws.k, T * hp_.kvDim());
    resize(ws.v, T * hp_.kvDim());
    resize(ws.attn, T * hp_.qDim());
    resize(ws.proj, T * E);
    resize(ws.gate, T * hp_.nFf);
    resize(ws.up, T * hp_.nFf);

    // Embeddings.
    {
        int64_t t = 0;
        for (const auto& step : batch) {
            for (TokenId id : step.tokens)
                cpu::getRow(w_.tokenEmbedding, id, &ws.x[t++ * E]);
        }
        if (hp_.arch.scaleEmbeddings)
            ops::scale(ws.x.data(), std::sqrt(float(E)), T * E);
    }

    const int32_t hd = hp_.headDim;
    const int32_t kvDim = hp_.kvDim();
    for (int32_t il = 0; il < hp_.nLayer; ++il) {
        const auto& L = w_.layers[il];
        for (int64_t t = 0; t < T; ++t) {
            ops::rmsNorm(&ws.x[t * E], L.attnNorm.data(), E, hp_.rmsEps, &ws.xn[t * E]);
        }
        const cpu::KQuantOrder* orders = ws.kQuantOrders.data();
        const cpu::MatmulTarget qkv[] = {
            {&L.wq, ws.q.data()}, {&L.wk, ws.k.data()}, {&L.wv, ws.v.data()}};
        cpu::matmul(qkv, ws.xn.data(), T, pool, orders);

        const float thetaScale = hp_.layerIsSwa[il] ? ropeThetaScaleSwa_ : ropeThetaScale_;
        for (int64_t t = 0; t < T; ++t) {
            float* q = &ws.q[t * hp_.qDim()];
            float* k = &ws.k[t * kvDim];
            float* v = &ws.v[t * kvDim];
            if (!L.bq.empty())
                ops::add(q, L.bq.data(), hp_.qDim());
            if (!L.bk.empty())
                ops::add(k, L.bk.data(), kvDim);
            if (!L.bv.empty())
                ops::add(v, L.bv.data(), kvDim);
            if (hp_.arch.qkNorm) {
                for (int32_t h = 0; h < hp_.nHead; ++h) {
                    ops::rmsNorm(q + h * hd, L.qNorm.data(), hd, hp_.rmsEps, q + h * hd);
                }
                for (int32_t h = 0; h < hp_.nHeadKv; ++h) {
                    ops::rmsNorm(k + h * hd, L.kNorm.data(), hd, hp_.rmsEps, k + h * hd);
                }
            }
            ops::rope(q, hp_.nHead, hd, hp_.nRot, ws.positions[t], thetaScale, hp_.arch.rope);
            ops::rope(k, hp_.nHeadKv, hd, hp_.nRot, ws.positions[t], thetaScale, hp_.arch.rope);

            const auto& step = batch[ws.sequenceOf[t]];
            const int32_t pos = ws.positions[t];
            const int32_t block = step.blockTable[pos / bs];
            ops::toF16(k, kv.key(il, block, pos % bs), kvDim);
            ops::toF16(v, kv.value(il, block, pos % bs), kvDim);
        }

        attention(il, batch, kv, pool, ws);

        cpu::matmul(L.wo, ws.attn.data(), T, ws.proj.data(), pool, orders);
        for (int64_t t = 0; t < T; ++t) {
            float* o = &ws.proj[t * E];
            if (!L.bo.empty())
                ops::add(o, L.bo.data(), E);
            if (hp_.arch.postNorms)
                ops::rmsNorm(o, L.postAttnNorm.data(), E, hp_.rmsEps, o);
            ops::add(&ws.x[t * E], o, E);
            ops::rmsNorm(&ws.x[t * E], L.ffnNorm.data(), E, hp_.rmsEps, &ws.xn[t * E]);
        }

        const cpu::MatmulTarget gateUp[] = {{&L.ffnGate, ws.gate.data()}, {&L.ffnUp, ws.up.data()}};
        cpu::matmul(gateUp, ws.xn.data(), T, pool, orders);
        ops::gatedActivation(ws.gate.data(), ws.up.data(), T * hp_.nFf, hp_.arch.activation);
        cpu::matmul(L.ffnDown, ws.gate.data(), T, ws.proj.data(), pool, orders);
        for (int64_t t = 0; t < T; ++t) {
            float* f = &ws.proj[t * E];
            if (hp_.arch.postNorms)
                ops::rmsNorm(f, L.postFfnNorm.data(), E, hp_.rmsEps, f);
            ops::add(&ws.x[t * E], f, E);
        }
    }

    // Final norm and LM head, only for the rows whose logits were asked for.
    out.logits.resize(logitRows * hp_.nVocab);
    if (logitRows == 0)
        return Ok{};
    int64_t row = 0;
    int64_t t = 0;
    for (const auto& step : batch) {
        const int64_t n = int64_t(step.tokens.size());
        if (n > 0 && step.logits != LogitsWanted::None) {
            const int64_t from = step.logits == LogitsWanted::All ? t : t + n - 1;
            for (int64_t i = from; i < t + n; ++i) {
                ops::rmsNorm(&ws.x[i * E], w_.outputNorm.data(), E, hp_.rmsEps, &ws.xn[row * E]);
                ++row;
            }
        }
        t += n;
    }
    cpu::matmul(w_.output, ws.xn.data(), logitRows, out.logits.data(), pool, ws.logitOrders.data());
    return Ok{};
}

void Model::attention(int32_t layer, std::span<const SequenceStep> batch, const KvPool& kv,
                      cpu::ThreadPool& pool, ForwardWorkspace& ws) const {
    const bool scaleQueries = hp_.arch.scaleQueries;
    const AttentionShape shape{hp_.nHead,
                               hp_.nHeadKv,
                               hp_.headDim,
                               hp_.layerIsSwa[layer] ? hp_.slidingWindow : 0,
                               scaleQueries ? hp_.attentionScale : 1.0f,
                               scaleQueries ? 1.0f : hp_.attentionScale};
    // Tiles of consecutive tokens of one sequence and one KV head; 16 tokens share each key and
    // value row read (fewer tokens a tile would spread a short chunk over more threads, but on two
    // shared cores the lost reuse cost more than the balance gained).
    constexpr int32_t kTileTokens = 16;
    ws.tiles.clear();
    int64_t row = 0;
    for (const auto& step : batch) {
        const int32_t n = int32_t(step.tokens.size());
        // The reference sums attention's products in one order for one new token and in another
        // for several (its batched kernel, which needs head sizes in 16s). Following it per
        // sequence makes our rounding its rounding, and keeps a sequence's result independent of
        // the other sequences in the batch.
        const ops::LaneOrder order =
            n > 1 && hp_.headDim % 16 == 0 ? ops::LaneOrder::Lanes16 : ops::LaneOrder::Lanes64;
        // Tiles of equal size (25 tokens: 13 and 12, not 16 and 9), so that two threads taking
        // them most expensive first end together; a query's result does not depend on its tile.
        const int32_t numTiles = (n + kTileTokens - 1) / kTileTokens;
        for (int32_t i = 0, t = 0; i < numTiles; ++i) {
            const int32_t count = n / numTiles + (i < n % numTiles ? 1 : 0);
            for (int32_t kvh = 0; kvh < hp_.nHeadKv; ++kvh) {
                ws.tiles.push_back(
                    {row + t, count, step.startPosition + t, step.blockTable, kvh, order});
            }
            t += count;
        }
        row += n;
    }
    // Most expensive first (tokens times the positions they attend to), one tile at a time: a
    // prompt chunk's tiles over a long context cost more than all the decode tiles together, and
    // in the batch's order they came last, in one range, on one thread.
    const auto cost = [](const AttentionTile& tile) {
        return int64_t(tile.count) * (tile.firstPosition + tile.count);
    };
    std::stable_sort(
        ws.tiles.begin(), ws.tiles.end(),
        [&](const AttentionTile& a, const AttentionTile& b) { return cost(a) > cost(b); });
    if (int(ws.attentionScratch.size()) < pool.size())
        ws.attentionScratch.resize(pool.size());
    pool.parallelFor(
        int64_t(ws.tiles.size()),
        [&](int64_t begin, int64_t end, int thread) {
            for (int64_t i = begin; i < end; ++i) {
                attendTile(shape, ws.tiles[i], layer, kv, ws.q.data(), ws.attn.data(),
                           ws.attentionScratch[thread]);
            }
        },
        1);
}

}  // namespace parley::model
