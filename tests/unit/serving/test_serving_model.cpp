// Drives the real SmolLM2 model through the scheduler: three concurrent prompts (two sharing a
// prefix), a fork, chunked prefill and a pool small enough to force preemption. Each greedy output
// must equal the same prompt run alone, straight through Model::forward.
#include "serving/scheduler.h"

#include <QtTest>

#include <algorithm>
#include <limits>
#include <numeric>

#include "inference/catalog/model_catalog.h"
#include "inference/model/model.h"

using namespace parley;
using serving::TokenId;

namespace {

constexpr int32_t kGenerated = 12;

TokenId argmax(std::span<const float> row) {
    return TokenId(std::max_element(row.begin(), row.end()) - row.begin());
}

std::vector<TokenId> makePrompt(size_t shared, size_t own, int seed) {
    std::vector<TokenId> tokens;
    for (size_t i = 0; i < shared; ++i) {
        tokens.push_back(TokenId(1000 + 37 * i % 5000));
    }
    for (size_t i = 0; i < own; ++i) {
        tokens.push_back(TokenId(7000 + seed * 500 + 13 * i % 400));
    }
    return tokens;
}

}  // namespace

class TestServingModel : public QObject {
    Q_OBJECT

  private:
    std::unique_ptr<model::Model> model_;
    cpu::ThreadPool threads_{2};

    // Greedy continuation of `prompt`, one sequence alone: whole prompt, then token by token.
    // `minMargin` gets the smallest gap between the best and second-best logit: batching changes
    // logits by up to about 1e-2, so only prompts without near-ties can be compared exactly.
    std::vector<TokenId> runAlone(const std::vector<TokenId>& prompt, int32_t count,
                                  float& minMargin) {
        minMargin = std::numeric_limits<float>::max();
        const int32_t blocks = int32_t(prompt.size() + size_t(count) + 15) / 16;
        auto kv = model_->makeKvPool(blocks, serving::kBlockSize);
        std::vector<int32_t> table(static_cast<size_t>(blocks));
        std::iota(table.begin(), table.end(), 0);
        model::ForwardWorkspace ws;
        model::ForwardOutput out;
        std::vector<TokenId> sequence = prompt;
        std::vector<TokenId> generated;
        int32_t computed = 0;
        while (int32_t(generated.size()) < count) {
            const model::SequenceStep step{std::span(sequence).subspan(size_t(computed)), computed,
                                           table, model::LogitsWanted::Last};
            if (!model_->forward(std::span(&step, 1), kv, threads_, ws, out).ok()) {
                return {};
            }
            computed = int32_t(sequence.size());
            generated.push_back(argmax(out.logits));
            const float best = out.logits[size_t(generated.back())];
            float second = std::numeric_limits<float>::lowest();
            for (size_t t = 0; t < out.logits.size(); ++t) {
                if (t != size_t(generated.back())) {
                    second = std::max(second, out.logits[t]);
                }
            }
            minMargin = std::min(minMargin, best - second);
            sequence.push_back(generated.back());
        }
        return generated;
    }

  private slots:
    void initTestCase() {
        auto loaded =
            model::Model::load(catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf");
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
        model_ = std::move(loaded.value());
    }

    void concurrentRequestsMatchRunningAlone() {
        const std::vector<std::vector<TokenId>> prompts = {
            makePrompt(32, 8, 4), makePrompt(32, 13, 2), makePrompt(0, 27, 9)};

        constexpr int32_t kBlocks = 8;  // fewer than the requests need at once
        auto kv = model_->makeKvPool(kBlocks, serving::kBlockSize);
        serving::BlockPool blocks(kBlocks);
        serving::PrefixCache cache(blocks, 1);
        serving::Scheduler scheduler({.tokenBudget = 24}, blocks, cache);
        for (size_t i = 0; i < prompts.size(); ++i) {
            serving::NewRequest r;
            r.id = i + 1;
            r.user = "user" + std::to_string(i);
            r.prompt = prompts[i];
            r.maxNewTokens = kGenerated;
            QCOMPARE(scheduler.add(std::move(r)), serving::AddResult::Accepted);
        }

        model::ForwardWorkspace ws;
        model::ForwardOutput out;
        std::map<serving::RequestId, std::vector<TokenId>> outputs;
        int preemptions = 0;
        bool forked = false;
        for (int stepIndex = 0; stepIndex < 400 && outputs.size() < 4; ++stepIndex) {
            const serving::SchedulerOutput step = scheduler.schedule();
            preemptions += int(step.preempted.size());
            for (const serving::BlockCopy& copy : step.copies) {
                kv.copyBlock(copy.from, copy.to, copy.numSlots);
            }
            std::vector<model::SequenceStep> batch;
            for (const serving::ScheduledRequest& chunk : step.scheduled) {
                batch.push_back(
                    {chunk.tokens, chunk.startPosition, chunk.blockTable,
                     chunk.samples ? model::LogitsWanted::Last : model::LogitsWanted::None});
            }
            const Status status = model_->forward(batch, kv, threads_, ws, out);
            QVERIFY2(status.ok(), status.ok() ? "" : status.error().message.c_str());
            std::vector<serving::SampledToken> sampled;
            const auto vocab = size_t(model_->hparams().nVocab);
            for (size_t i = 0; i < step.scheduled.size(); ++i) {
                if (step.scheduled[i].samples) {
                    const auto row =
                        std::span(out.logits).subspan(size_t(out.firstRow[i]) * vocab, vocab);
                    sampled.push_back({.id = step.scheduled[i].id, .token = argmax(row)});
                }
            }
            for (const serving::FinishedRequest& done : scheduler.onStepDone(step, sampled)) {
                outputs[done.id] = done.generated;
            }
            // Fork request 1 once it has its first token: the child continues from there.
            if (!forked && scheduler.has(1) &&
                scheduler.tokens(1).size() == prompts[0].size() + 1) {
                QCOMPARE(scheduler.fork(1, 4, kGenerated - 1), serving::AddResult::Accepted);
                forked = true;
            }
        }
        QVERIFY(forked);
        QVERIFY(preemptions > 0);
        QCOMPARE(outputs.size(), size_t(4));
        std::vector<TokenId> firstAlone;
        for (size_t i = 0; i < prompts.size(); ++i) {
            float minMargin = 0;
            const auto alone = runAlone(prompts[i], kGenerated, minMargin);
            QVERIFY2(minMargin > 0.05f, "prompt has a near-tie: its greedy output is not stable");
            QCOMPARE(outputs[i + 1], alone);
            if (i == 0) {
                firstAlone = alone;
            }
        }
        QCOMPARE(outputs[4], std::vector<TokenId>(firstAlone.begin() + 1, firstAlone.end()));
        QVERIFY(cache.hitTokens() >= 32);
        qInfo("preemptions %d, prefix hit tokens %lld of %lld", preemptions,
              static_cast<long long>(cache.hitTokens()),
              static_cast<long long>(cache.queryTokens()));
    }
};

QTEST_GUILESS_MAIN(TestServingModel)
#include "test_serving_model.moc"
