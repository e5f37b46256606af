// Generates one answer from one prompt on a model: the single-stream path used by parley-cli
// (the serving engine batches many such streams). Prefill runs in chunks; each new token is
// sampled, checked for end-of-generation and stop strings, and streamed as UTF-8-safe text.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "inference/cpu/thread_pool.h"
#include "inference/model/model.h"
#include "inference/sampling/sampler.h"
#include "inference/tokenizer/tokenizer.h"

namespace parley::generate {

enum class FinishReason { Stop, Length, Cancelled };
const char* finishReasonName(FinishReason reason);

struct GenerationRequest {
    std::vector<model::TokenId> prompt;
    int32_t maxTokens = 256;
    sampling::SamplingParams sampling;
    std::vector<std::string> stopStrings;
    bool ignoreEndOfGeneration = false;  // benchmarks: always produce maxTokens
};

struct GenerationResult {
    std::vector<model::TokenId> tokens;  // generated ids
    std::string text;
    FinishReason finish = FinishReason::Length;
    double prefillSeconds = 0;
    double decodeSeconds = 0;
};

class TextGenerator {
  public:
    // contextTokens bounds prompt + answer; the KV pool is sized for it.
    TextGenerator(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
                  cpu::ThreadPool& pool, int32_t contextTokens, int32_t prefillChunk = 512);

    // onText receives each new piece of text; returning false cancels.
    Result<GenerationResult> generate(const GenerationRequest& request,
                                      const std::function<bool(std::string_view)>& onText);

  private:
    const model::Model& model_;
    const tokenizer::Tokenizer& tokenizer_;
    cpu::ThreadPool& pool_;
    int32_t contextTokens_;
    int32_t prefillChunk_;
    model::KvPool kv_;
    std::vector<int32_t> blockTable_;
    model::ForwardWorkspace workspace_;
};

}  // namespace parley::generate
