#include "inference/model/weights.h"

#include <algorithm>
#include <string>

#include "inference/quant/dequantize.h"

namespace parley::model {
namespace {

enum class Need { Always, Optional, IfQkNorm, IfPostNorms };

// Which per-layer dimension a tensor's shape is checked against.
enum class Dim { Embd, QDim, KvDim, Ff, HeadDim };

struct VectorSlot {
    std::string_view name;
    std::vector<float> LayerWeights::*field;
    Need need;
    Dim length;
};

struct MatrixSlot {
    std::string_view name;
    cpu::WeightMatrix LayerWeights::*field;
    Dim cols;
    Dim rows;
};

constexpr VectorSlot kLayerVectors[] = {
    {"attn_norm.weight", &LayerWeights::attnNorm, Need::Always, Dim::Embd},
    {"attn_q_norm.weight", &LayerWeights::qNorm, Need::IfQkNorm, Dim::HeadDim},
    {"attn_k_norm.weight", &LayerWeights::kNorm, Need::IfQkNorm, Dim::HeadDim},
    {"post_attention_norm.weight", &LayerWeights::postAttnNorm, Need::IfPostNorms, Dim::Embd},
    {"ffn_norm.weight", &LayerWeights::ffnNorm, Need::Always, Dim::Embd},
    {"post_ffw_norm.weight", &LayerWeights::postFfnNorm, Need::IfPostNorms, Dim::Embd},
    {"attn_q.bias", &LayerWeights::bq, Need::Optional, Dim::QDim},
    {"attn_k.bias", &LayerWeights::bk, Need::Optional, Dim::KvDim},
    {"attn_v.bias", &LayerWeights::bv, Need::Optional, Dim::KvDim},
    {"attn_output.bias", &LayerWeights::bo, Need::Optional, Dim::Embd},
};

constexpr MatrixSlot kLayerMatrices[] = {
    {"attn_q.weight", &LayerWeights::wq, Dim::Embd, Dim::QDim},
    {"attn_k.weight", &LayerWeights::wk, Dim::Embd, Dim::KvDim},
    {"attn_v.weight", &LayerWeights::wv, Dim::Embd, Dim::KvDim},
    {"attn_output.weight", &LayerWeights::wo, Dim::QDim, Dim::Embd},
    {"ffn_gate.weight", &LayerWeights::ffnGate, Dim::Embd, Dim::Ff},
    {"ffn_up.weight", &LayerWeights::ffnUp, Dim::Embd, Dim::Ff},
    {"ffn_down.weight", &LayerWeights::ffnDown, Dim::Ff, Dim::Embd},
};

int64_t size(const Hparams& hp, Dim d) {
    switch (d) {
        case Dim::Embd:
            return hp.nEmbd;
        case Dim::QDim:
            return hp.qDim();
        case Dim::KvDim:
            return hp.kvDim();
        case Dim::Ff:
            return hp.nFf;
        case Dim::HeadDim:
            return hp.headDim;
    }
    return 0;
}

bool needed(Need need, const ArchTraits& arch) {
    switch (need) {
        case Need::Always:
            return true;
        case Need::Optional:
            return false;
        case Need::IfQkNorm:
            return arch.qkNorm;
        case Need::IfPostNorms:
            return arch.postNorms;
    }
    return false;
}

// How much of a matrix is interleaved before its source pages are dropped.
constexpr int64_t kStepBytes = 4 << 20;

class Binder {
  public:
    Binder(const gguf::GgufFile& file, const Hparams& hp, bool interleave)
        : file_(file), hp_(hp), interleave_(interleave) {}

    Error fail(const std::string& what) const { return makeError(file_.name() + ": " + what); }

    Result<cpu::WeightMatrix> matrix(const std::string& name, int64_t cols, int64_t rows) const {
        const auto* t = file_.findTensor(name);
        if (t == nullptr)
            return fail("missing tensor '" + name + "'");
        const auto& traits = quant::typeTraits(t->type);
        if (!traits.computeSupported) {
            return fail("tensor '" + name + "' has type " + std::string(traits.name) +
                        ", which Parley cannot compute with yet");
        }
        if (t->nDims != 2 || static_cast<int64_t>(t->ne[0]) != cols ||
            static_cast<int64_t>(t->ne[1]) != rows) {
            return fail("tensor '" + name + "' has shape [" + std::to_string(t->ne[0]) + ", " +
                        std::to_string(t->ne[1]) + "], expected [" + std::to_string(cols) + ", " +
                        std::to_string(rows) + "]");
        }
        return cpu::WeightMatrix{t->type, file_.tensorData(*t).data(), cols, rows,
                                 static_cast<std::size_t>(t->bytes / t->ne[1])};
    }

    // A 1-D tensor decoded to f32; empty when absent and not required.
    Result<std::vector<float>> vector(const std::string& name, int64_t length,
                                      bool required) const {
        const auto* t = file_.findTensor(name);
        if (t == nullptr) {
            if (required)
                return fail("missing tensor '" + name + "'");
            return std::vector<float>{};
        }
        if (static_cast<int64_t>(t->elements()) != length) {
            return fail("tensor '" + name + "' has " + std::to_string(t->elements()) +
                        " elements, expected " + std::to_string(length));
        }
        if (!quant::typeTraits(t->type).computeSupported) {
            return fail("tensor '" + name + "' has unsupported type " +
                        std::string(quant::typeTraits(t->type).name));
        }
        std::vector<float> out(length);
        quant::dequantizeRow(t->type, file_.tensorData(*t).data(), out.data(), length);
        return out;
    }

    // Interleaves every interleavable matrix once (the tied output shares the embedding's copy)
    // and drops its mapped pages: the copy replaces them for compute.
    Status interleave(Weights& w) const {
        const bool tied = w.output.data == w.tokenEmbedding.data;
        std::vector<cpu::WeightMatrix*> matrices = {&w.tokenEmbedding};
        if (!tied)
            matrices.push_back(&w.output);
        for (auto& layer : w.layers) {
            for (const auto& slot : kLayerMatrices)
                matrices.push_back(&(layer.*slot.field));
        }
        for (cpu::WeightMatrix* m : matrices) {
            cpu::InterleavedCopy copy = cpu::allocateInterleaved(*m);
            if (copy == nullptr)
                continue;
            // Rows per step: a few MiB, whole 16-row groups.
            const int64_t groupBytes = cpu::kInterleavedRows * int64_t(m->rowBytes);
            const int64_t step =
                std::max<int64_t>(1, kStepBytes / groupBytes) * cpu::kInterleavedRows;
            const auto* start = static_cast<const std::byte*>(m->data);
            for (int64_t row = 0; row < m->rows; row += step) {
                const int64_t end = std::min(m->rows, row + step);
                cpu::interleaveRows(*m, copy.get(), row, end);
                // From the tensor's start, so pages straddling two steps go too.
                if (auto released = file_.releasePages({start, m->rowBytes * std::size_t(end)});
                    !released)
                    return released.error();
            }
            m->interleaved = copy.get();
            w.interleavedCopies.push_back(std::move(copy));
        }
        if (tied)
            w.output = w.tokenEmbedding;
        return Ok{};
    }

    Result<Weights> bind() const {
        Weights w;
        auto embd = matrix("token_embd.weight", hp_.nEmbd, hp_.nVocab);
        if (!embd)
            return embd.error();
        w.tokenEmbedding = *embd;
        if (file_.findTensor("output.weight") != nullptr) {
            auto out = matrix("output.weight", hp_.nEmbd, hp_.nVocab);
            if (!out)
                return out.error();
            w.output = *out;
        } else {
            w.output = w.tokenEmbedding;
        }
        auto norm = vector("output_norm.weight", hp_.nEmbd, true);
        if (!norm)
            return norm.error();
        w.outputNorm = std::move(norm.value());

        w.layers.resize(hp_.nLayer);
        for (int32_t il = 0; il < hp_.nLayer; ++il) {
            const std::string prefix = "blk." + std::to_string(il) + ".";
            auto& layer = w.layers[il];
            for (const auto& slot : kLayerVectors) {
                auto v = vector(prefix + std::string(slot.name), size(hp_, slot.length),
                                needed(slot.need, hp_.arch));
                if (!v)
                    return v.error();
                layer.*slot.field = std::move(v.value());
            }
            for (const auto& slot : kLayerMatrices) {
                auto m = matrix(prefix + std::string(slot.name), size(hp_, slot.cols),
                                size(hp_, slot.rows));
                if (!m)
                    return m.error();
                layer.*slot.field = *m;
            }
        }
        if (interleave_) {
            if (auto interleaved = interleave(w); !interleaved)
                return interleaved.error();
        }
        return w;
    }

  private:
    const gguf::GgufFile& file_;
    const Hparams& hp_;
    bool interleave_;
};

}  // namespace

Result<Weights> bindWeights(const gguf::GgufFile& file, const Hparams& hp, bool interleave) {
    return Binder(file, hp, interleave).bind();
}

}  // namespace parley::model
