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

    // Nothing below sorts more of the vocabulary than the truncation needs: a full sort of 50k
    // candidates per token is milliseconds, per stream, on the engine thread.
    if (params_.topK > 0 && std::size_t(params_.topK) < candidates_.size()) {
        std::nth_element(candidates_.begin(), candidates_.begin() + params_.topK, candidates_.end(),
                         byLogit);
        candidates_.resize(std::size_t(params_.topK));
    }
    const float maxLogit =
        std::max_element(candidates_.begin(), candidates_.end(), [](const auto& a, const auto& b) {
            return a.logit < b.logit;
        })->logit;

    // top-p over the probabilities of the untempered logits, as llama.cpp's truncation samplers
    // see them: sorts a growing head until it holds the mass.
    if (params_.topP < 1.0f) {
        double total = 0.0;
        for (const auto& c : candidates_)
            total += std::exp(double(c.logit - maxLogit));
        double cumulative = 0.0;
        std::size_t kept = 0;
        std::size_t sorted = 0;
        bool reached = false;
        while (!reached && kept < candidates_.size()) {
            const std::size_t head =
                std::min(candidates_.size(), std::max<std::size_t>(64, sorted * 4));
            std::partial_sort(candidates_.begin() + std::ptrdiff_t(sorted),
                              candidates_.begin() + std::ptrdiff_t(head), candidates_.end(),
                              byLogit);
            sorted = head;
            while (kept < sorted && !reached) {
                cumulative += std::exp(double(candidates_[kept++].logit - maxLogit)) / total;
                reached = cumulative >= params_.topP;
            }
        }
        candidates_.resize(std::max<std::size_t>(kept, 1));
    }
    if (params_.minP > 0.0f) {
        const float threshold = maxLogit + std::log(std::min(params_.minP, 1.0f));
        std::erase_if(candidates_, [threshold](const Candidate& c) { return c.logit < threshold; });
    }

    probs_.resize(candidates_.size());
    double sum = 0.0;
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
        probs_[i] = std::exp((candidates_[i].logit - maxLogit) / params_.temperature);
        sum += probs_[i];
    }
    for (auto& p : probs_)
        p = float(p / sum);
    std::discrete_distribution<std::size_t> draw(probs_.begin(), probs_.end());
    return candidates_[draw(rng_)].id;
}

}  // namespace parley::sampling
