#include "inference/generate/text_generator.h"

#include <chrono>
#include <numeric>

#include "inference/generate/stop_matcher.h"

namespace parley::generate {
namespace {

constexpr int32_t kBlockSize = 16;

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const char* finishReasonName(FinishReason reason) {
    switch (reason) {
        case FinishReason::Stop:
            return "stop";
        case FinishReason::Length:
            return "length";
        case FinishReason::Cancelled:
            return "cancelled";
    }
    return "?";
}

TextGenerator::TextGenerator(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
                             cpu::ThreadPool& pool, int32_t contextTokens, int32_t prefillChunk)
    : model_(model),
      tokenizer_(tokenizer),
      pool_(pool),
      contextTokens_(contextTokens),
      prefillChunk_(prefillChunk),
      kv_(model.makeKvPool((contextTokens + kBlockSize - 1) / kBlockSize, kBlockSize)),
      blockTable_(kv_.numBlocks()) {
    std::iota(blockTable_.begin(), blockTable_.end(), 0);
}

Result<GenerationResult> TextGenerator::generate(
    const GenerationRequest& request, const std::function<bool(std::string_view)>& onText) {
    if (request.prompt.empty())
        return makeError("the prompt has no tokens");
    if (int64_t(request.prompt.size()) >= contextTokens_) {
        return makeError("prompt of " + std::to_string(request.prompt.size()) +
                         " tokens does not fit the context of " + std::to_string(contextTokens_));
    }
    GenerationResult result;
    model::ForwardOutput out;
    const auto start = std::chrono::steady_clock::now();

    int32_t cached = 0;
    const int32_t promptLen = int32_t(request.prompt.size());
    while (cached < promptLen) {
        const int32_t n = std::min(prefillChunk_, promptLen - cached);
        const model::SequenceStep step{
            std::span(request.prompt).subspan(cached, n), cached, blockTable_,
            cached + n == promptLen ? model::LogitsWanted::Last : model::LogitsWanted::None};
        if (auto s = model_.forward(std::span(&step, 1), kv_, pool_, workspace_, out); !s) {
            return s.error();
        }
        cached += n;
    }
    result.prefillSeconds = secondsSince(start);

    const auto decodeStart = std::chrono::steady_clock::now();
    sampling::Sampler sampler(request.sampling);
    tokenizer::StreamingDecoder decoder(tokenizer_);
    StopMatcher stops(request.stopStrings);
    std::vector<model::TokenId> history = request.prompt;
    const int32_t limit = std::min(request.maxTokens, contextTokens_ - promptLen);
    auto emit = [&](const std::string& text) {
        if (text.empty())
            return true;
        result.text += text;
        return onText(text);
    };

    result.finish = FinishReason::Length;
    for (int32_t i = 0; i < limit; ++i) {
        const model::TokenId next =
            sampler.sample(std::span(out.logits).first(model_.hparams().nVocab), history);
        if (!request.ignoreEndOfGeneration && tokenizer_.isEndOfGeneration(next)) {
            result.finish = FinishReason::Stop;
            break;
        }
        result.tokens.push_back(next);
        history.push_back(next);
        if (!emit(stops.push(decoder.push(next)))) {
            result.finish = FinishReason::Cancelled;
            break;
        }
        if (stops.stopped()) {
            result.finish = FinishReason::Stop;
            break;
        }
        if (i + 1 == limit)
            break;
        const model::SequenceStep step{std::span(&history.back(), 1), int32_t(history.size()) - 1,
                                       blockTable_, model::LogitsWanted::Last};
        if (auto s = model_.forward(std::span(&step, 1), kv_, pool_, workspace_, out); !s) {
            return s.error();
        }
    }
    if (result.finish != FinishReason::Cancelled && !stops.stopped()) {
        emit(stops.push(decoder.flush()));
        emit(stops.flush());
    }
    result.decodeSeconds = secondsSince(decodeStart);
    return result;
}

}  // namespace parley::generate
