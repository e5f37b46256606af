// The serving engine on the real SmolLM2: concurrent greedy streams equal each request run alone,
// stop strings, cancellation mid-stream frees the blocks within one step, a consumer that never
// reads does not stall others, a full queue answers Overloaded at once, metrics follow, every
// step's record reaches the onStep callback, and shutting down finishes every open stream.
#include "serving/serving_engine.h"

#include <QtTest>
#include <mutex>

#include "inference/catalog/model_catalog.h"
#include "inference/runtime/loaded_model.h"

using namespace parley;
using namespace std::chrono_literals;
using serving::CompletionReason;
using serving::StreamEvent;
using serving::SubmitStatus;
using serving::TokenStream;

namespace {

struct Collected {
    std::string text;
    int textEvents = 0;
    std::optional<StreamEvent> finish;
};

// Reads until the finish event (or gives up after `timeout` without an event).
Collected readAll(TokenStream& stream, std::chrono::milliseconds timeout = 20s) {
    Collected c;
    while (auto event = stream.next(timeout)) {
        if (event->kind == StreamEvent::Kind::Finish) {
            c.finish = std::move(event);
            break;
        }
        c.text += event->text;
        ++c.textEvents;
    }
    return c;
}

}  // namespace

class TestServingEngine : public QObject {
    Q_OBJECT

  private:
    std::unique_ptr<runtime::LoadedModel> loaded_;
    std::unique_ptr<cpu::ThreadPool> threads_;

    std::vector<serving::TokenId> chatPrompt(const std::string& text) {
        auto tokens = loaded_->promptTokens({{"user", text}});
        return tokens.ok() ? tokens.value() : std::vector<serving::TokenId>{};
    }

    std::unique_ptr<serving::ServingEngine> makeEngine(serving::SchedulerConfig scheduler = {}) {
        serving::ServingConfig config;
        config.kvBudgetBytes = 24ll << 20;
        config.scheduler = scheduler;
        config.modelName = "SmolLM2";
        return std::make_unique<serving::ServingEngine>(loaded_->model(), loaded_->tokenizer(),
                                                        *threads_, config);
    }

    serving::ServingRequest greedy(const std::string& text, int32_t maxNewTokens,
                                   const TokenStream& stream) {
        serving::ServingRequest r;
        r.user = text;
        r.prompt = chatPrompt(text);
        r.maxNewTokens = maxNewTokens;
        r.sampling.temperature = 0;
        r.onEvent = stream.callback();
        return r;
    }

  private slots:
    void initTestCase() {
        auto loaded = runtime::LoadedModel::load(catalog::defaultModelsDir() /
                                                 "SmolLM2-135M-Instruct.Q4_1.gguf");
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
        loaded_ = std::move(loaded.value());
        threads_ = std::make_unique<cpu::ThreadPool>(2);
    }

    void concurrentStreamsEqualRunningAlone() {
        const std::vector<std::string> questions = {"What is the capital of France?",
                                                    "Name three colours of the rainbow.",
                                                    "Write one sentence about the sea."};
        constexpr int32_t kTokens = 16;
        auto engine = makeEngine();

        std::vector<Collected> alone;
        for (const std::string& q : questions) {
            TokenStream stream;
            QCOMPARE(engine->submit(greedy(q, kTokens, stream)).status, SubmitStatus::Accepted);
            alone.push_back(readAll(stream));
            QVERIFY(alone.back().finish.has_value());
            QVERIFY(!alone.back().text.empty());
        }

        std::vector<TokenStream> streams(questions.size());
        for (size_t i = 0; i < questions.size(); ++i) {
            QCOMPARE(engine->submit(greedy(questions[i], kTokens, streams[i])).status,
                     SubmitStatus::Accepted);
        }
        int64_t completionTokens = 0;
        for (size_t i = 0; i < questions.size(); ++i) {
            const Collected together = readAll(streams[i]);
            QVERIFY(together.finish.has_value());
            QCOMPARE(together.text, alone[i].text);
            QCOMPARE(together.finish->reason, alone[i].finish->reason);
            QCOMPARE(together.finish->usage.completionTokens,
                     alone[i].finish->usage.completionTokens);
            QCOMPARE(together.finish->usage.promptTokens, int32_t(chatPrompt(questions[i]).size()));
            QVERIFY(together.finish->timings.ttftMs >= together.finish->timings.queueMs);
            QVERIFY(together.finish->timings.totalMs >= together.finish->timings.ttftMs);
            completionTokens += 2 * together.finish->usage.completionTokens;
        }

        // Six finished requests, every token counted; the second run of each prompt hit the
        // blocks the first left in the prefix cache.
        const serving::MetricsSnapshot m = engine->metrics();
        QCOMPARE(m.finished[size_t(CompletionReason::Stop)] +
                     m.finished[size_t(CompletionReason::Length)],
                 uint64_t(6));
        QCOMPARE(int64_t(m.generationTokens), completionTokens);
        QCOMPARE(m.timeToFirstToken.count(), uint64_t(6));
        QCOMPARE(m.queueTime.count(), uint64_t(6));
        QCOMPARE(int64_t(m.interTokenLatency.count()), completionTokens - 6);
        QVERIFY(m.prefixCacheHits >= 16 * 3);
        QVERIFY(m.prefixCacheQueries > m.prefixCacheHits);
        const serving::EngineStats s = engine->stats();
        QCOMPARE(s.running, 0);
        QCOMPARE(s.kvBlocksUsed, 0);
    }

    void seededSamplingIsPerRequest() {
        auto engine = makeEngine();
        const auto sampled = [&](const TokenStream& stream) {
            auto r = greedy("Invent a name for a cat.", 20, stream);
            r.sampling.temperature = 0.9f;
            r.sampling.seed = 1234;
            return r;
        };
        TokenStream alone;
        QCOMPARE(engine->submit(sampled(alone)).status, SubmitStatus::Accepted);
        const Collected reference = readAll(alone);
        QVERIFY(reference.finish.has_value());
        // Two requests with the same seed in one batch: each has its own random stream.
        TokenStream a, b;
        QCOMPARE(engine->submit(sampled(a)).status, SubmitStatus::Accepted);
        QCOMPARE(engine->submit(sampled(b)).status, SubmitStatus::Accepted);
        QCOMPARE(readAll(a).text, reference.text);
        QCOMPARE(readAll(b).text, reference.text);
    }

    void twoModelsShareOneThreadPool() {
        // Two engines (as for two models) on the same workers, both busy at once.
        auto first = makeEngine();
        serving::ServingConfig config;
        config.kvBudgetBytes = 8ll << 20;
        config.modelId = 2;
        config.modelName = "second";
        serving::ServingEngine second(loaded_->model(), loaded_->tokenizer(), *threads_, config);
        const std::string question = "Why is the sky blue?";
        TokenStream reference;
        QCOMPARE(first->submit(greedy(question, 16, reference)).status, SubmitStatus::Accepted);
        const Collected alone = readAll(reference);
        TokenStream onFirst, onSecond;
        QCOMPARE(first->submit(greedy(question, 16, onFirst)).status, SubmitStatus::Accepted);
        QCOMPARE(second.submit(greedy(question, 16, onSecond)).status, SubmitStatus::Accepted);
        QCOMPARE(readAll(onFirst).text, alone.text);
        QCOMPARE(readAll(onSecond).text, alone.text);
        // Separate KV pools and prefix caches: the second engine computed its prompt itself.
        QCOMPARE(second.metrics().prefixCacheHits, int64_t(0));
        QVERIFY(first->metrics().prefixCacheHits > 0);
        QVERIFY(second.kvCapacityTokens() < first->kvCapacityTokens());
    }

    // Every step that runs the model reports what it computed: the prompt in the first step, then
    // one decode token per step until the answer is complete.
    void everyStepIsReported() {
        std::mutex mutex;
        std::vector<serving::StepRecord> records;
        serving::ServingConfig config;
        config.kvBudgetBytes = 24ll << 20;
        config.modelName = "SmolLM2";
        config.onStep = [&](const serving::StepRecord& r) {
            const std::lock_guard lock(mutex);
            records.push_back(r);
        };
        serving::ServingEngine engine(loaded_->model(), loaded_->tokenizer(), *threads_, config);
        constexpr int32_t kTokens = 5;
        TokenStream stream;
        serving::ServingRequest request = greedy("Say hello.", kTokens, stream);
        request.ignoreEndOfGeneration = true;
        const auto promptTokens = int32_t(request.prompt.size());
        QCOMPARE(engine.submit(std::move(request)).status, SubmitStatus::Accepted);
        const Collected c = readAll(stream);
        QVERIFY(c.finish.has_value());
        QCOMPARE(c.finish->usage.completionTokens, kTokens);

        const std::lock_guard lock(mutex);
        QCOMPARE(records.size(), size_t(kTokens));
        QCOMPARE(records[0].promptTokens, promptTokens);
        QCOMPARE(records[0].decodeTokens, 0);
        QCOMPARE(records[0].contextTokens, promptTokens);
        for (size_t i = 1; i < records.size(); ++i) {
            QCOMPARE(records[i].step, records[i - 1].step + 1);
            QCOMPARE(records[i].promptTokens, 0);
            QCOMPARE(records[i].decodeTokens, 1);
            QCOMPARE(records[i].contextTokens, promptTokens + int32_t(i));
            QVERIFY(records[i].forwardMs > 0);
        }
    }

    void stopStringEndsTheStream() {
        auto engine = makeEngine();
        const std::string question = "Tell me about cats.";
        TokenStream first;
        QCOMPARE(engine->submit(greedy(question, 24, first)).status, SubmitStatus::Accepted);
        const Collected full = readAll(first);
        QVERIFY(full.text.size() > 12);
        const std::string stop = full.text.substr(8, 3);
        TokenStream second;
        auto request = greedy(question, 24, second);
        request.stopStrings = {stop};
        QCOMPARE(engine->submit(std::move(request)).status, SubmitStatus::Accepted);
        const Collected stopped = readAll(second);
        QVERIFY(stopped.finish.has_value());
        QCOMPARE(stopped.finish->reason, CompletionReason::Stop);
        QCOMPARE(stopped.text, full.text.substr(0, full.text.find(stop)));
    }

    void cancellationFreesBlocksWithinOneStep() {
        auto engine = makeEngine();
        TokenStream stream;
        auto request = greedy("Count from one to one thousand.", 400, stream);
        request.ignoreEndOfGeneration = true;
        const serving::RequestHandle handle = engine->submit(std::move(request));
        QCOMPARE(handle.status, SubmitStatus::Accepted);
        for (int received = 0; received < 3;) {
            const auto event = stream.next(10s);
            QVERIFY(event.has_value());
            QCOMPARE(event->kind, StreamEvent::Kind::Text);
            ++received;
        }
        QVERIFY(engine->stats().kvBlocksUsed > 0);
        const uint64_t stepsAtCancel = engine->stats().steps;
        QVERIFY(engine->cancel(handle.id));
        const Collected rest = readAll(stream, 10s);
        QVERIFY(rest.finish.has_value());
        QCOMPARE(rest.finish->reason, CompletionReason::Cancelled);
        QVERIFY(rest.finish->usage.completionTokens < 400);
        // Stats are published before the step's events go out: these are the ones of the step
        // that carried the finish event.
        const serving::EngineStats after = engine->stats();
        QVERIFY2(after.steps <= stepsAtCancel + 1, "more than one step ran after cancel()");
        QCOMPARE(after.kvBlocksUsed, 0);
        QVERIFY(after.kvBlocksCached > 0);  // its full prompt blocks stay in the prefix cache
        QCOMPARE(after.running, 0);
        QVERIFY(!engine->cancel(handle.id));
        QCOMPARE(engine->metrics().finished[size_t(CompletionReason::Cancelled)], uint64_t(1));
    }

    void unreadStreamDoesNotStallOthers() {
        auto engine = makeEngine();
        TokenStream neverRead;
        TokenStream reader;
        auto slow = greedy("Describe a forest.", 48, neverRead);
        slow.ignoreEndOfGeneration = true;
        auto fast = greedy("Describe a river.", 48, reader);
        fast.ignoreEndOfGeneration = true;
        QCOMPARE(engine->submit(std::move(slow)).status, SubmitStatus::Accepted);
        QCOMPARE(engine->submit(std::move(fast)).status, SubmitStatus::Accepted);
        const Collected read = readAll(reader);
        QVERIFY(read.finish.has_value());
        QCOMPARE(read.finish->usage.completionTokens, 48);
        QVERIFY(!neverRead.finished());
        // Everything the engine produced for the unread stream waited in its queue.
        const Collected late = readAll(neverRead, 10s);
        QVERIFY(late.finish.has_value());
        QCOMPARE(late.finish->reason, CompletionReason::Length);
        QCOMPARE(late.finish->usage.completionTokens, 48);
        QVERIFY(late.textEvents > 1);
    }

    void fullQueueAnswersOverloaded() {
        auto engine = makeEngine({.tokenBudget = 256, .maxRunning = 1, .maxWaiting = 2});
        TokenStream running;
        auto first = greedy("Count from one to one thousand.", 400, running);
        first.ignoreEndOfGeneration = true;
        const auto runningHandle = engine->submit(std::move(first));
        QCOMPARE(runningHandle.status, SubmitStatus::Accepted);
        QVERIFY(running.next(10s).has_value());  // it holds the only running slot now

        std::vector<TokenStream> queued(3);
        std::vector<serving::RequestHandle> handles;
        for (TokenStream& s : queued) {
            handles.push_back(engine->submit(greedy("Say hello.", 8, s)));
        }
        QCOMPARE(handles[0].status, SubmitStatus::Accepted);
        QCOMPARE(handles[1].status, SubmitStatus::Accepted);
        QCOMPARE(handles[2].status, SubmitStatus::Overloaded);
        QCOMPARE(engine->metrics().rejected, uint64_t(1));
        QCOMPARE(engine->submit(serving::ServingRequest{}).status, SubmitStatus::Invalid);

        QVERIFY(engine->cancel(handles[0].id));
        const Collected cancelledWhileQueued = readAll(queued[0]);
        QVERIFY(cancelledWhileQueued.finish.has_value());
        QCOMPARE(cancelledWhileQueued.finish->reason, CompletionReason::Cancelled);
        QCOMPARE(cancelledWhileQueued.finish->usage.completionTokens, 0);
        QCOMPARE(cancelledWhileQueued.finish->timings.ttftMs, 0.0);
        QVERIFY(engine->cancel(runningHandle.id));
        QCOMPARE(readAll(running).finish->reason, CompletionReason::Cancelled);
        // The remaining queued request runs once the slot is free.
        const Collected last = readAll(queued[1]);
        QVERIFY(last.finish.has_value());
        QVERIFY(last.finish->reason == CompletionReason::Stop ||
                last.finish->reason == CompletionReason::Length);
        QVERIFY(last.finish->usage.completionTokens > 0);
        QVERIFY(!queued[2].next(0ms).has_value());  // rejected: no events at all
    }

    void shutdownFinishesOpenStreams() {
        TokenStream stream;
        {
            auto engine = makeEngine();
            auto request = greedy("Count from one to one thousand.", 400, stream);
            request.ignoreEndOfGeneration = true;
            QCOMPARE(engine->submit(std::move(request)).status, SubmitStatus::Accepted);
            QVERIFY(stream.next(10s).has_value());
        }
        const Collected rest = readAll(stream, 1s);
        QVERIFY(rest.finish.has_value());
        QCOMPARE(rest.finish->reason, CompletionReason::Cancelled);
    }
};

QTEST_GUILESS_MAIN(TestServingEngine)
#include "test_serving_engine.moc"
