// parley-cli tokenize / generate / bench: the engine driven directly, without the serving layer.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <random>

#include "commands.h"
#include "concurrency_bench.h"
#include "inference/chat_template/json.h"
#include "inference/cpu/matmul.h"
#include "inference/generate/text_generator.h"
#include "inference/runtime/loaded_model.h"
#include "options.h"
#include "serving_scenarios.h"

namespace parley::cli {
namespace {

std::unique_ptr<runtime::LoadedModel> loadOrReport(const Options& o) {
    const std::string path = o.get("--model");
    if (path.empty()) {
        std::cerr << "error: --model FILE is required\n";
        return nullptr;
    }
    auto loaded = runtime::LoadedModel::load(path);
    if (!loaded) {
        std::cerr << "error: " << loaded.error().message << "\n";
        return nullptr;
    }
    return std::move(loaded.value());
}

std::string jsonString(std::string_view s) {
    return chat_template::toJson(chat_template::Value(s));
}

double peakRssMb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0;
}

}  // namespace

int runTokenize(const std::vector<std::string>& args) {
    const auto o =
        Options::parse(args, {"--model", "--text"}, {"--json", "--no-special", "--parse-special"});
    if (!o)
        return 2;
    const auto loaded = loadOrReport(*o);
    if (!loaded)
        return 2;
    const auto& tok = loaded->tokenizer();
    const auto ids =
        tok.encode(o->get("--text"), !o->has("--no-special"), o->has("--parse-special"));
    if (o->has("--json")) {
        std::cout << "{\"ids\":[";
        for (std::size_t i = 0; i < ids.size(); ++i)
            std::cout << (i ? "," : "") << ids[i];
        std::cout << "],\"pieces\":[";
        for (std::size_t i = 0; i < ids.size(); ++i) {
            std::cout << (i ? "," : "") << jsonString(tok.tokenText(ids[i]));
        }
        std::cout << "]}\n";
        return 0;
    }
    for (auto id : ids)
        std::cout << id << "\t" << tok.tokenText(id) << "\n";
    return 0;
}

int runGenerate(const std::vector<std::string>& args) {
    const auto o = Options::parse(
        args,
        {"--model", "--prompt", "--system", "--max-tokens", "--temperature", "--top-k", "--top-p",
         "--min-p", "--repeat-penalty", "--seed", "--threads", "--ctx"},
        {"--raw"});
    if (!o)
        return 2;
    const auto maxTokens = o->getInt("--max-tokens", 256);
    const auto threads = o->getInt("--threads", 0);
    const auto ctx = o->getInt("--ctx", 4096);
    const auto seed = o->getInt("--seed", std::random_device{}());
    const auto temperature = o->getDouble("--temperature", 0.8);
    const auto topK = o->getInt("--top-k", 40);
    const auto topP = o->getDouble("--top-p", 0.95);
    const auto minP = o->getDouble("--min-p", 0.05);
    const auto repeat = o->getDouble("--repeat-penalty", 1.0);
    if (!maxTokens || !threads || !ctx || !seed || !temperature || !topK || !topP || !minP ||
        !repeat) {
        return 2;
    }
    if (!o->has("--prompt")) {
        std::cerr << "error: --prompt TEXT is required\n";
        return 2;
    }
    const auto loaded = loadOrReport(*o);
    if (!loaded)
        return 2;

    std::vector<model::TokenId> prompt;
    if (o->has("--raw")) {
        prompt = loaded->tokenizer().encode(o->get("--prompt"), true, false);
    } else {
        if (loaded->usesFallbackTemplate())
            std::cerr << "warning: " << loaded->templateWarning() << "\n";
        std::vector<chat_template::ChatMessage> messages;
        if (o->has("--system"))
            messages.push_back({"system", o->get("--system")});
        messages.push_back({"user", o->get("--prompt")});
        auto tokens = loaded->promptTokens(messages);
        if (!tokens) {
            std::cerr << "error: " << tokens.error().message << "\n";
            return 2;
        }
        prompt = std::move(tokens.value());
    }

    cpu::ThreadPool pool{int(*threads)};
    generate::TextGenerator generator(loaded->model(), loaded->tokenizer(), pool, int32_t(*ctx));
    generate::GenerationRequest request;
    request.prompt = prompt;
    request.maxTokens = int32_t(*maxTokens);
    request.sampling.temperature = float(*temperature);
    request.sampling.topK = int32_t(*topK);
    request.sampling.topP = float(*topP);
    request.sampling.minP = float(*minP);
    request.sampling.repeatPenalty = float(*repeat);
    request.sampling.seed = uint64_t(*seed);
    auto result = generator.generate(request, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return true;
    });
    std::cout << "\n";
    if (!result) {
        std::cerr << "error: " << result.error().message << "\n";
        return 1;
    }
    std::fprintf(stderr,
                 "[%zu prompt tokens in %.2f s (%.1f tok/s); %zu generated in %.2f s (%.1f tok/s); "
                 "finish: %s; seed %llu; %d threads, %s]\n",
                 prompt.size(), result->prefillSeconds, prompt.size() / result->prefillSeconds,
                 result->tokens.size(), result->decodeSeconds,
                 result->tokens.size() / std::max(result->decodeSeconds, 1e-9),
                 generate::finishReasonName(result->finish), static_cast<unsigned long long>(*seed),
                 pool.size(), cpu::isaName(cpu::activeIsa()));
    return 0;
}

int runBench(const std::vector<std::string>& args) {
    const auto o =
        Options::parse(args,
                       {"--model", "--threads", "--prompt-tokens", "--gen-tokens", "--repetitions",
                        "--concurrency", "--shared-prefix", "--interfere", "--streams",
                        "--token-budget", "--prefill-while-decoding", "--step-log"},
                       {"--json", "--control"});
    if (!o)
        return 2;
    const auto threads = o->getInt("--threads", 0);
    const auto promptTokens = o->getInt("--prompt-tokens", 512);
    const auto genTokens = o->getInt("--gen-tokens", 128);
    const auto reps = o->getInt("--repetitions", 3);
    if (!threads || !promptTokens || !genTokens || !reps || *promptTokens < 1 || *genTokens < 1 ||
        *reps < 1) {
        if (threads && promptTokens && genTokens && reps) {
            std::cerr << "error: token counts and repetitions must be positive\n";
        }
        return 2;
    }
    const auto loaded = loadOrReport(*o);
    if (!loaded)
        return 2;
    if (o->has("--concurrency"))
        return runConcurrencyBench(*o, *loaded, int(*threads), int32_t(*genTokens));
    if (o->has("--shared-prefix"))
        return runSharedPrefixBench(*o, *loaded, int(*threads));
    if (o->has("--interfere"))
        return runInterferenceBench(*o, *loaded, int(*threads), int32_t(*genTokens));
    const auto& m = loaded->model();
    const int32_t nVocab = m.hparams().nVocab;
    cpu::ThreadPool pool{int(*threads)};
    constexpr int32_t kBlock = 16;
    const int32_t ctx = int32_t(std::max(*promptTokens, *genTokens));
    auto kv = m.makeKvPool((ctx + kBlock - 1) / kBlock, kBlock);
    std::vector<int32_t> table(kv.numBlocks());
    std::iota(table.begin(), table.end(), 0);
    model::ForwardWorkspace ws;
    model::ForwardOutput out;
    std::mt19937 rng(42);
    std::uniform_int_distribution<int32_t> anyToken(0, nVocab - 1);
    using Clock = std::chrono::steady_clock;

    // Like llama-bench: pp = one batch of random tokens from an empty cache; tg = single-token
    // steps.
    double prefillSeconds = 0, decodeSeconds = 0;
    for (long long r = 0; r <= *reps; ++r) {  // repetition 0 warms up and is not counted
        std::vector<model::TokenId> prompt(*promptTokens);
        for (auto& t : prompt)
            t = anyToken(rng);
        const model::SequenceStep pp{prompt, 0, table, model::LogitsWanted::Last};
        const auto t0 = Clock::now();
        if (auto s = m.forward(std::span(&pp, 1), kv, pool, ws, out); !s) {
            std::cerr << "error: " << s.error().message << "\n";
            return 1;
        }
        const auto t1 = Clock::now();
        model::TokenId token = anyToken(rng);
        for (int32_t i = 0; i < *genTokens; ++i) {
            const model::SequenceStep tg{std::span(&token, 1), i, table, model::LogitsWanted::Last};
            if (auto s = m.forward(std::span(&tg, 1), kv, pool, ws, out); !s) {
                std::cerr << "error: " << s.error().message << "\n";
                return 1;
            }
            token = model::TokenId(std::max_element(out.logits.begin(), out.logits.end()) -
                                   out.logits.begin());
        }
        const auto t2 = Clock::now();
        if (r == 0)
            continue;
        prefillSeconds += std::chrono::duration<double>(t1 - t0).count();
        decodeSeconds += std::chrono::duration<double>(t2 - t1).count();
    }
    const double pp = double(*promptTokens) * double(*reps) / prefillSeconds;
    const double tg = double(*genTokens) * double(*reps) / decodeSeconds;
    const double kvMb =
        double(kv.numBlocks()) *
        model::KvPool::bytesPerBlock(m.hparams().nLayer, m.hparams().kvDim(), kBlock) / 1e6;
    if (o->has("--json")) {
        std::printf(
            "{\"model\":%s,\"threads\":%d,\"isa\":\"%s\",\"prompt_tokens\":%lld,\"gen_tokens\":%"
            "lld,"
            "\"repetitions\":%lld,\"prefill_tokens_per_s\":%.2f,\"decode_tokens_per_s\":%.2f,"
            "\"kv_cache_mb\":%.1f,\"peak_rss_mb\":%.1f,\"file_mb\":%.1f}\n",
            jsonString(o->get("--model")).c_str(), pool.size(), cpu::isaName(cpu::activeIsa()),
            *promptTokens, *genTokens, *reps, pp, tg, kvMb, peakRssMb(), m.file().fileSize() / 1e6);
    } else {
        std::printf(
            "model      %s\nthreads    %d (%s)\npp%-7lld  %.1f tokens/s\ntg%-7lld  %.1f "
            "tokens/s\nKV cache   %.1f MB\npeak RSS   %.1f MB (file %.1f MB)\n",
            o->get("--model").c_str(), pool.size(), cpu::isaName(cpu::activeIsa()), *promptTokens,
            pp, *genTokens, tg, kvMb, peakRssMb(), m.file().fileSize() / 1e6);
    }
    return 0;
}

}  // namespace parley::cli
