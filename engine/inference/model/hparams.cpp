#include "inference/model/hparams.h"

#include <cmath>
#include <string>

namespace parley::model {
namespace {

// Gemma 3 files written before the pattern key existed: every sixth layer is global.
constexpr int32_t kGemma3SwaPeriod = 6;

}  // namespace

Result<Hparams> readHparams(const gguf::GgufFile& file) {
    auto fail = [&](const std::string& what) { return makeError(file.name() + ": " + what); };
    const auto archName = file.getString("general.architecture");
    if (!archName)
        return fail("missing general.architecture");
    const auto traits = archTraits(*archName);
    if (!traits) {
        return fail("architecture '" + std::string(*archName) +
                    "' is not supported (supported: llama, qwen2, gemma3)");
    }
    Hparams h;
    h.arch = *traits;
    const std::string p = std::string(*archName) + ".";

    auto required = [&](const char* key, int32_t& out) -> Status {
        const auto v = file.getUnsigned(p + key);
        if (!v)
            return fail("missing or non-integer " + p + key);
        if (*v == 0 || *v > (1u << 30))
            return fail(p + key + " has implausible value " + std::to_string(*v));
        out = static_cast<int32_t>(*v);
        return Ok{};
    };
    for (auto [key, field] :
         {std::pair{"block_count", &h.nLayer}, std::pair{"embedding_length", &h.nEmbd},
          std::pair{"attention.head_count", &h.nHead}, std::pair{"feed_forward_length", &h.nFf}}) {
        if (auto s = required(key, *field); !s)
            return s.error();
    }
    h.nHeadKv =
        static_cast<int32_t>(file.getUnsigned(p + "attention.head_count_kv").value_or(h.nHead));
    h.headDim = static_cast<int32_t>(
        file.getUnsigned(p + "attention.key_length").value_or(h.nEmbd / h.nHead));
    const auto valueLength = file.getUnsigned(p + "attention.value_length").value_or(h.headDim);
    if (valueLength != static_cast<uint64_t>(h.headDim)) {
        return fail("key and value head sizes differ; not supported");
    }
    if (h.nHeadKv <= 0 || h.nHead % h.nHeadKv != 0) {
        return fail("head_count " + std::to_string(h.nHead) +
                    " is not a multiple of head_count_kv " + std::to_string(h.nHeadKv));
    }
    if (h.headDim <= 0 || h.headDim % 2 != 0 || h.headDim > 1024) {
        return fail("unsupported head size " + std::to_string(h.headDim));
    }
    h.nRot = static_cast<int32_t>(file.getUnsigned(p + "rope.dimension_count").value_or(h.headDim));
    if (h.nRot > h.headDim || h.nRot % 2 != 0)
        return fail("invalid rope.dimension_count");
    h.nCtxTrain = static_cast<int32_t>(file.getUnsigned(p + "context_length").value_or(2048));
    h.rmsEps =
        static_cast<float>(file.getFloat(p + "attention.layer_norm_rms_epsilon").value_or(1e-5));
    h.ropeBase = static_cast<float>(file.getFloat(p + "rope.freq_base").value_or(10000.0));
    h.ropeBaseSwa = static_cast<float>(
        file.getFloat(p + "rope.freq_base_swa")
            .value_or(traits->swaRopeBase > 0 ? traits->swaRopeBase : h.ropeBase));
    if (const auto scaling = file.getString(p + "rope.scaling.type");
        scaling && *scaling != "none") {
        return fail("RoPE scaling '" + std::string(*scaling) + "' is not supported yet");
    }
    h.attentionScale = 1.0f / std::sqrt(static_cast<float>(h.headDim));

    const auto* tokens = file.getStringArray("tokenizer.ggml.tokens");
    h.nVocab = static_cast<int32_t>(
        file.getUnsigned(p + "vocab_size").value_or(tokens ? tokens->size() : 0));
    if (h.nVocab <= 0)
        return fail("vocabulary size unknown (no tokenizer.ggml.tokens)");

    h.layerIsSwa.assign(h.nLayer, false);
    if (traits->slidingWindow) {
        h.slidingWindow =
            static_cast<int32_t>(file.getUnsigned(p + "attention.sliding_window").value_or(0));
        if (h.slidingWindow > 0) {
            const auto period =
                file.getUnsigned(p + "attention.sliding_window_pattern").value_or(kGemma3SwaPeriod);
            for (int32_t il = 0; il < h.nLayer; ++il) {
                h.layerIsSwa[il] = period > 0 && (il % static_cast<int32_t>(period)) <
                                                     static_cast<int32_t>(period) - 1;
            }
        }
    }
    return h;
}

}  // namespace parley::model
