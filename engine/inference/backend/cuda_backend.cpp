#include "inference/backend/cuda_backend.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace parley::backend {
namespace {

ParleyCudaWeight describe(const cpu::WeightMatrix& w) {
    return {static_cast<uint32_t>(w.type), w.data, w.cols, w.rows, w.rowBytes};
}

const float* orNull(const std::vector<float>& v) {
    return v.empty() ? nullptr : v.data();
}

}  // namespace

Result<std::unique_ptr<CudaBackend>> CudaBackend::create(std::shared_ptr<const CudaPlugin> plugin,
                                                         const model::Model& model,
                                                         const BackendOptions& options) {
    const model::Hparams& hp = model.hparams();
    // The host copy of the small vectors only has to live until the upload is done; the matrices
    // are uploaded from the file's layout, so no interleaved CPU copy is made.
    constexpr bool kInterleave = false;
    auto weights = model::bindWeights(model.file(), hp, kInterleave);
    if (!weights)
        return weights.error();
    std::vector<ParleyCudaLayer> layers(hp.nLayer);
    for (int32_t il = 0; il < hp.nLayer; ++il) {
        const model::LayerWeights& L = weights->layers[il];
        layers[il] = {orNull(L.attnNorm),     orNull(L.qNorm),     orNull(L.kNorm),
                      orNull(L.postAttnNorm), orNull(L.ffnNorm),   orNull(L.postFfnNorm),
                      orNull(L.bq),           orNull(L.bk),        orNull(L.bv),
                      orNull(L.bo),           describe(L.wq),      describe(L.wk),
                      describe(L.wv),         describe(L.wo),      describe(L.ffnGate),
                      describe(L.ffnUp),      describe(L.ffnDown), hp.layerIsSwa[il] ? 1 : 0};
    }
    ParleyCudaModelDesc desc{};
    desc.nLayer = hp.nLayer;
    desc.nEmbd = hp.nEmbd;
    desc.nHead = hp.nHead;
    desc.nHeadKv = hp.nHeadKv;
    desc.headDim = hp.headDim;
    desc.nRot = hp.nRot;
    desc.nFf = hp.nFf;
    desc.nVocab = hp.nVocab;
    desc.rmsEps = hp.rmsEps;
    // As model::Model: RoPE angles from base^(-2/nRot), the attention scale on q or on q.k.
    desc.ropeThetaScale = std::pow(hp.ropeBase, -2.0f / float(hp.nRot));
    desc.ropeThetaScaleSwa = std::pow(hp.ropeBaseSwa, -2.0f / float(hp.nRot));
    desc.queryScale = hp.arch.scaleQueries ? hp.attentionScale : 1.0f;
    desc.scoreScale = hp.arch.scaleQueries ? 1.0f : hp.attentionScale;
    desc.slidingWindow = hp.slidingWindow;
    desc.ropeStyle = hp.arch.rope == model::RopeStyle::Interleaved ? PARLEY_ROPE_INTERLEAVED
                                                                   : PARLEY_ROPE_HALF_SPLIT;
    desc.activation =
        hp.arch.activation == model::FfnActivation::SiLU ? PARLEY_ACT_SILU : PARLEY_ACT_GELU_TANH;
    desc.qkNorm = hp.arch.qkNorm;
    desc.postNorms = hp.arch.postNorms;
    desc.scaleEmbeddings = hp.arch.scaleEmbeddings;
    desc.tokenEmbedding = describe(weights->tokenEmbedding);
    desc.output = describe(weights->output);
    desc.outputNorm = weights->outputNorm.data();
    desc.layers = layers.data();
    desc.kvBlocks = options.kvBlocks;
    desc.kvBlockSize = 16;
    desc.maxBatchTokens = options.maxBatchTokens;

    ParleyCudaModel* handle = nullptr;
    char error[1024] = {};
    if (plugin->api().createModel(&desc, &handle, error, sizeof error) != PARLEY_CUDA_OK)
        return makeError(std::string("CUDA backend: ") + error);
    return std::unique_ptr<CudaBackend>(new CudaBackend(std::move(plugin), handle, hp.nVocab));
}

CudaBackend::~CudaBackend() {
    plugin_->api().destroyModel(handle_);
}

void CudaBackend::describeBatch(std::span<const model::SequenceStep> batch) {
    sequences_.clear();
    for (const model::SequenceStep& step : batch) {
        sequences_.push_back({step.tokens.data(), int32_t(step.tokens.size()), step.startPosition,
                              step.blockTable.data(), int32_t(step.blockTable.size()),
                              static_cast<int32_t>(step.logits)});
    }
}

Status CudaBackend::forward(std::span<const model::SequenceStep> batch, model::ForwardOutput& out) {
    static_assert(int(model::LogitsWanted::None) == PARLEY_LOGITS_NONE &&
                  int(model::LogitsWanted::Last) == PARLEY_LOGITS_LAST &&
                  int(model::LogitsWanted::All) == PARLEY_LOGITS_ALL);
    describeBatch(batch);
    int64_t rows = 0;
    out.firstRow.assign(batch.size(), -1);
    for (std::size_t s = 0; s < batch.size(); ++s) {
        const auto& step = batch[s];
        if (step.tokens.empty() || step.logits == model::LogitsWanted::None)
            continue;
        out.firstRow[s] = int32_t(rows);
        rows += step.logits == model::LogitsWanted::All ? int64_t(step.tokens.size()) : 1;
    }
    out.logits.resize(rows * nVocab_);
    char error[1024] = {};
    if (plugin_->api().forward(handle_, sequences_.data(), int32_t(sequences_.size()),
                               out.logits.data(), int64_t(out.logits.size()), error,
                               sizeof error) != PARLEY_CUDA_OK)
        return makeError(std::string("CUDA forward: ") + error);
    return Ok{};
}

Status CudaBackend::forwardSample(std::span<const model::SequenceStep> batch,
                                  std::span<const sampling::SamplingParams> params,
                                  std::span<const std::span<const int32_t>> recent,
                                  std::span<const uint64_t> drawIndex, std::span<int32_t> tokens) {
    if (params.size() != batch.size() || recent.size() != batch.size() ||
        drawIndex.size() != batch.size() || tokens.size() != batch.size())
        return makeError(
            "CUDA sampling: one parameter set, window, draw index and token slot "
            "per batch entry expected");
    describeBatch(batch);
    std::vector<ParleySamplingDesc> descs;
    for (std::size_t s = 0; s < batch.size(); ++s) {
        const sampling::SamplingParams& p = params[s];
        if (!p.logitBias.empty())
            return makeError("CUDA sampling: logit bias is sampled on the host");
        // As the CPU sampler: a negative penaltyLastN means the whole history.
        const std::size_t window = p.penaltyLastN < 0
                                       ? recent[s].size()
                                       : std::min(recent[s].size(), std::size_t(p.penaltyLastN));
        const int32_t* last = recent[s].data() + (recent[s].size() - window);
        descs.push_back({p.temperature, p.topK, p.topP, p.minP, p.repeatPenalty, p.presencePenalty,
                         p.frequencyPenalty, last, int32_t(window), p.seed, drawIndex[s]});
    }
    char error[1024] = {};
    if (plugin_->api().forwardSample(handle_, sequences_.data(), int32_t(sequences_.size()),
                                     descs.data(), tokens.data(), error,
                                     sizeof error) != PARLEY_CUDA_OK)
        return makeError(std::string("CUDA forward with sampling: ") + error);
    return Ok{};
}

Status CudaBackend::copyKvBlock(int32_t from, int32_t to, int32_t slots) {
    char error[1024] = {};
    if (plugin_->api().copyKvBlock(handle_, from, to, slots, error, sizeof error) != PARLEY_CUDA_OK)
        return makeError(std::string("CUDA KV copy: ") + error);
    return Ok{};
}

}  // namespace parley::backend
