// A decoder model loaded from GGUF and its forward pass over a batch of sequences.
//
// The batch may mix sequences at different stages (a chunk of one prompt, one new token of
// another): each entry names its new tokens, how many of its tokens the KV cache already holds, and
// the block table mapping its positions to KV blocks. K and V of the new tokens are written through
// that table; attention reads every earlier position through it. This is the interface the serving
// scheduler drives (continuous batching, chunked prefill, prefix sharing).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "common/result.h"
#include "inference/cpu/matmul.h"
#include "inference/cpu/thread_pool.h"
#include "inference/gguf/gguf_file.h"
#include "inference/model/attention.h"
#include "inference/model/hparams.h"
#include "inference/model/kv_pool.h"
#include "inference/model/weights.h"

namespace parley::model {

using TokenId = int32_t;

enum class LogitsWanted { None, Last, All };

struct SequenceStep {
    std::span<const TokenId> tokens;      // new tokens, at positions startPosition...
    int32_t startPosition = 0;            // tokens of this sequence already in the KV cache
    std::span<const int32_t> blockTable;  // block ids covering [0, startPosition + tokens.size())
    LogitsWanted logits = LogitsWanted::Last;
};

struct ForwardOutput {
    std::vector<float> logits;      // rows of nVocab floats
    std::vector<int32_t> firstRow;  // per batch entry: its first logits row, or -1
};

// Scratch memory of one forward caller (the engine loop); reused across steps.
struct ForwardWorkspace {
    std::vector<float> x, xn, q, k, v, attn, proj, gate, up;
    std::vector<AttentionTile> tiles;
    std::vector<AttentionScratch> attentionScratch;  // one per thread
    std::vector<int32_t> positions, sequenceOf;
    std::vector<cpu::KQuantOrder> kQuantOrders, logitOrders;  // per token, per logits row
};

class Model {
  public:
    static Result<std::unique_ptr<Model>> load(const std::filesystem::path& path);

    const gguf::GgufFile& file() const { return file_; }
    const Hparams& hparams() const { return hp_; }

    // Whether compute reads this tensor's bytes in the mapped file: false for the matrices the CPU
    // kernels read from the interleaved copy made at load (their mapped pages were dropped).
    bool readsMappedBytes(const gguf::TensorInfo& tensor) const;

    // KV storage sized for this model.
    KvPool makeKvPool(int32_t numBlocks, int32_t blockSize = 16) const;

    Status forward(std::span<const SequenceStep> batch, KvPool& kv, cpu::ThreadPool& pool,
                   ForwardWorkspace& ws, ForwardOutput& out) const;

  private:
    Model(gguf::GgufFile file, Hparams hp, Weights weights);

    void attention(int32_t layer, std::span<const SequenceStep> batch, const KvPool& kv,
                   cpu::ThreadPool& pool, ForwardWorkspace& ws) const;

    gguf::GgufFile file_;
    Hparams hp_;
    Weights w_;
    float ropeThetaScale_, ropeThetaScaleSwa_;  // base^(-2/nRot) of global and local layers
};

}  // namespace parley::model
