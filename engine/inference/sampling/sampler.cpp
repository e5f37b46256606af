#include "inference/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace parley::sampling {

Sampler::Sampler(SamplingParams params) : params_(std::move(params)), rng_(params_.seed) {}

void Sampler::applyPenalties(std::span<float> logits, std::span<const TokenId> recent) const {
    const bool any = params_.repeatPenalty != 1.0f || params_.presencePenalty != 0.0f ||
                     params_.frequencyPenalty != 0.0f;
    if (!any || recent.empty() || params_.penaltyLastN == 0)
        return;
    const std::size_t n = params_.penaltyLastN < 0
                              ? recent.size()
                              : std::min(recent.size(), std::size_t(params_.penaltyLastN));
    std::unordered_map<TokenId, int32_t> counts;
    for (TokenId id : recent.subspan(recent.size() - n))
        ++counts[id];
    for (const auto& [id, count] : counts) {
        if (id < 0 || std::size_t(id) >= logits.size())
            continue;
        float& l = logits[id];
        l = l <= 0 ? l * params_.repeatPenalty : l / params_.repeatPenalty;
        l -= float(count) * params_.frequencyPenalty + params_.presencePenalty;
    }
}

TokenId Sampler::sample(std::span<float> logits, std::span<const TokenId> recent) {
    for (const auto& [id, bias] : params_.logitBias) {
        if (id >= 0 && std::size_t(id) < logits.size())
            logits[id] += bias;
    }
    applyPenalties(logits, recent);

    if (params_.temperature <= 0.0f) {
        return TokenId(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }

    candidates_.clear();
    for (std::size_t i = 0; i < logits.size(); ++i) {
        if (std::isfinite(logits[i]))
            candidates_.push_back({TokenId(i), logits[i]});
    }
    if (candidates_.empty())
        return 0;
    auto byLogit = [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; };

    // top-k: keep the k largest, sorted.
    std::size_t keep = candidates_.size();
    if (params_.topK > 0 && std::size_t(params_.topK) < keep)
        keep = std::size_t(params_.topK);
    std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), byLogit);
    candidates_.resize(keep);

    // Probabilities of the untempered logits, as llama.cpp's truncation samplers see them.
    auto softmax = [&] {
        probs_.resize(candidates_.size());
        const float maxLogit = candidates_.front().logit;
        double sum = 0.0;
        for (std::size_t i = 0; i < candidates_.size(); ++i) {
            probs_[i] = std::exp(candidates_[i].logit - maxLogit);
            sum += probs_[i];
        }
        for (auto& p : probs_)
            p = float(p / sum);
    };

    if (params_.topP < 1.0f) {
        softmax();
        double cumulative = 0.0;
        std::size_t n = 0;
        while (n < candidates_.size()) {
            cumulative += probs_[n++];
            if (cumulative >= params_.topP)
                break;
        }
        candidates_.resize(std::max<std::size_t>(n, 1));
    }
    if (params_.minP > 0.0f) {
        const float threshold = candidates_.front().logit + std::log(params_.minP);
        std::size_t n = 1;
        while (n < candidates_.size() && candidates_[n].logit >= threshold)
            ++n;
        candidates_.resize(n);
    }

    for (auto& c : candidates_)
        c.logit /= params_.temperature;
    softmax();
    std::discrete_distribution<std::size_t> draw(probs_.begin(), probs_.end());
    return candidates_[draw(rng_)].id;
}

}  // namespace parley::sampling
