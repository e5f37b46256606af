// The default models on the CUDA backend against the CPU backend: top-1 agreement of the prompt's
// logits rows (>= 99%), greedy continuations equal token for token (decode steps, CUDA graphs
// included), the same prompt in other KV blocks giving the same result (nothing leaks between
// sequences through the pool or the captured graphs), and device sampling's greedy pick equal to
// the arg-max of the logits.
#include <QTest>

#include <algorithm>

#include "cuda_test_support.h"
#include "inference/backend/cpu_backend.h"
#include "inference/backend/cuda_backend.h"
#include "inference/catalog/model_catalog.h"
#include "inference/runtime/loaded_model.h"

using namespace parley;

namespace {

constexpr int32_t kBlock = 16;
constexpr int kContinuation = 24;

int32_t argmax(const float* row, int32_t n) {
    return int32_t(std::max_element(row, row + n) - row);
}

struct Run {
    std::vector<int32_t> promptTop1;  // arg-max of each prompt position's logits
    std::vector<int32_t> continuation;
};

// Prefill of the prompt (all logits rows), then greedy decode steps of one token.
Run greedy(backend::ComputeBackend& b, const std::vector<int32_t>& prompt, int32_t nVocab,
           int32_t firstBlock) {
    std::vector<int32_t> table;
    for (int32_t i = 0; i < (int32_t(prompt.size()) + kContinuation) / kBlock + 1; ++i)
        table.push_back(firstBlock + i);
    Run run;
    model::ForwardOutput out;
    model::SequenceStep step{prompt, 0, table, model::LogitsWanted::All};
    if (!b.forward({&step, 1}, out))
        return run;
    for (std::size_t t = 0; t < prompt.size(); ++t)
        run.promptTop1.push_back(argmax(&out.logits[t * nVocab], nVocab));
    int32_t next = run.promptTop1.back();
    int32_t position = int32_t(prompt.size());
    for (int i = 0; i < kContinuation; ++i) {
        run.continuation.push_back(next);
        const int32_t token = next;
        model::SequenceStep decode{{&token, 1}, position++, table, model::LogitsWanted::Last};
        if (!b.forward({&decode, 1}, out))
            return run;
        next = argmax(out.logits.data(), nVocab);
    }
    return run;
}

}  // namespace

class TestCudaModel : public QObject {
    Q_OBJECT

  public:
    explicit TestCudaModel(std::shared_ptr<backend::CudaPlugin> plugin)
        : plugin_(std::move(plugin)) {}

  private:
    std::shared_ptr<backend::CudaPlugin> plugin_;

  private slots:
    void init() {
        if (!plugin_)
            QSKIP("no usable CUDA device");
    }

    void matchesCpu_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("SmolLM2 (llama, Q4_1)") << "SmolLM2-135M-Instruct.Q4_1.gguf";
        QTest::newRow("Gemma 3 270M (gemma3, Q4_K_M)") << "gemma-3-270m-q4_k_m.gguf";
    }

    void matchesCpu() {
        QFETCH(QString, file);
        auto loaded = runtime::LoadedModel::load(catalog::defaultModelsDir() / file.toStdString());
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        const model::Model& m = (*loaded)->model();
        const int32_t nVocab = m.hparams().nVocab;
        const auto prompt = (*loaded)->tokenizer().encode(
            "The history of the printing press begins in the fifteenth century, when", true, false);
        backend::BackendOptions options;
        options.kvBlocks = 64;
        options.maxBatchTokens = 128;
        backend::CpuBackend cpu(m, options);
        auto cuda = backend::CudaBackend::create(plugin_, m, options);
        QVERIFY2(cuda, cuda ? "" : cuda.error().message.c_str());

        const Run want = greedy(cpu, prompt, nVocab, 0);
        const Run got = greedy(**cuda, prompt, nVocab, 0);
        QCOMPARE(got.promptTop1.size(), prompt.size());
        int agree = 0;
        for (std::size_t t = 0; t < prompt.size(); ++t)
            agree += got.promptTop1[t] == want.promptTop1[t];
        QVERIFY2(agree * 100 >= int(prompt.size()) * 99,
                 qPrintable(QString("top-1 agreement %1 of %2").arg(agree).arg(prompt.size())));
        QCOMPARE(got.continuation, want.continuation);

        // The same prompt again in other blocks: the same results.
        const Run again = greedy(**cuda, prompt, nVocab, 16);
        QCOMPARE(again.promptTop1, got.promptTop1);
        QCOMPARE(again.continuation, got.continuation);

        // Device sampling at temperature 0 picks the logits' arg-max.
        std::vector<int32_t> table;
        for (int32_t i = 0; i < 8; ++i)
            table.push_back(32 + i);
        model::ForwardOutput out;
        model::SequenceStep step{prompt, 0, table, model::LogitsWanted::Last};
        QVERIFY((*cuda)->forward({&step, 1}, out));
        const int32_t best = argmax(out.logits.data(), nVocab);
        sampling::SamplingParams greedyParams;
        greedyParams.temperature = 0.0f;
        std::vector<int32_t> tables2;
        for (int32_t i = 0; i < 8; ++i)
            tables2.push_back(40 + i);
        model::SequenceStep again2{prompt, 0, tables2, model::LogitsWanted::Last};
        const std::span<const int32_t> noRecent;
        const uint64_t draw = 0;
        int32_t sampled = -1;
        QVERIFY((*cuda)->forwardSample({&again2, 1}, {&greedyParams, 1}, {&noRecent, 1}, {&draw, 1},
                                       {&sampled, 1}));
        QCOMPARE(sampled, best);
    }
};

PARLEY_CUDA_TEST_MAIN(TestCudaModel)
#include "test_cuda_model.moc"
