// Picks the next token from logits. The chain follows llama.cpp's default order so the same
// parameters behave the same as there: logit bias -> penalties -> top-k -> top-p -> min-p ->
// temperature -> draw. Temperature <= 0 means greedy (arg-max after bias and penalties).
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

namespace parley::sampling {

using TokenId = int32_t;

struct SamplingParams {
    float temperature = 0.8f;
    int32_t topK = 40;                             // <= 0: all
    float topP = 0.95f;                            // >= 1: off
    float minP = 0.05f;                            // <= 0: off
    float repeatPenalty = 1.0f;                    // 1: off
    float presencePenalty = 0.0f;                  // OpenAI semantics: once per token present
    float frequencyPenalty = 0.0f;                 // per occurrence
    int32_t penaltyLastN = 64;                     // window of recent tokens the penalties look at
    std::unordered_map<TokenId, float> logitBias;  // -inf bans a token
    uint64_t seed = 0;
};

class Sampler {
  public:
    explicit Sampler(SamplingParams params);

    // `logits` is modified in place. `recent` are the tokens seen so far (prompt and output).
    TokenId sample(std::span<float> logits, std::span<const TokenId> recent);

    const SamplingParams& params() const { return params_; }

  private:
    struct Candidate {
        TokenId id;
        float logit;
    };

    void applyPenalties(std::span<float> logits, std::span<const TokenId> recent) const;

    SamplingParams params_;
    std::mt19937_64 rng_;
    std::vector<Candidate> candidates_;
    std::vector<float> probs_;
};

}  // namespace parley::sampling
