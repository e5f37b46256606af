// Writes reference data from llama.cpp (the independent implementation our engine is checked
// against) as JSON Lines: token ids, per-position logits, and greedy continuations. Only llama.h's
// public API is used, with llama.cpp's defaults except where the reference needs fixed settings
// (2 threads, flash attention off, every prompt decoded as one batch).
//
// Input: one record per line, the UTF-8 text hex-encoded so any byte (newlines included) survives.
// Tokenizer input lines carry a flag before the hex: "0 <hex>" plain, "1 <hex>" parse_special.
//
// Usage: dump_reference {tokenizer|logits|greedy} MODEL.gguf INPUT OUTPUT.jsonl
//        dump_reference tensors MODEL.gguf INPUT OUTPUT_DIR
// The `tensors` mode is a debugging aid, not reference data: it decodes the first prompt of INPUT
// and writes every f32/f16 intermediate tensor of the graph (llama.cpp's names, e.g. "Qcur-3") to
// OUTPUT_DIR/<name>.<op>.f32 as raw little-endian floats, listed with their shapes in
// OUTPUT_DIR/index.txt. Comparing them with our engine's intermediates finds the first step where
// the two diverge.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ggml-backend.h"
#include "llama.h"

namespace {

constexpr int kThreads = 2;
constexpr int kTopLogits = 32;
constexpr int kGreedyTokens = 64;

struct InputRecord {
    std::string text;
    bool parseSpecial = false;
};

std::optional<int> hexDigit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return std::nullopt;
}

std::optional<std::string> decodeHex(std::string_view hex) {
    if (hex.size() % 2 != 0)
        return std::nullopt;
    std::string bytes;
    bytes.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        auto high = hexDigit(hex[i]);
        auto low = hexDigit(hex[i + 1]);
        if (!high || !low)
            return std::nullopt;
        bytes.push_back(static_cast<char>(*high * 16 + *low));
    }
    return bytes;
}

// Returns false (after printing where) on a malformed line.
bool readInput(const std::string& path, bool withFlag, std::vector<InputRecord>& records) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "cannot open input " << path << "\n";
        return false;
    }
    std::string line;
    for (int lineNumber = 1; std::getline(in, line); ++lineNumber) {
        if (line.empty())
            continue;
        InputRecord record;
        std::string_view hex = line;
        if (withFlag) {
            if (line.size() < 2 || (line[0] != '0' && line[0] != '1') || line[1] != ' ') {
                std::cerr << path << ":" << lineNumber << ": expected '0 <hex>' or '1 <hex>'\n";
                return false;
            }
            record.parseSpecial = line[0] == '1';
            hex.remove_prefix(2);
        }
        auto text = decodeHex(hex);
        if (!text) {
            std::cerr << path << ":" << lineNumber << ": malformed hex\n";
            return false;
        }
        record.text = std::move(*text);
        records.push_back(std::move(record));
    }
    return true;
}

// JSON string literal; the input is valid UTF-8 (the corpus guarantees it), so bytes >= 0x80 pass
// through unchanged and only quotes, backslashes and control characters are escaped.
std::string jsonString(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string jsonIds(const std::vector<llama_token>& ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0)
            out += ",";
        out += std::to_string(ids[i]);
    }
    return out + "]";
}

// Five significant digits keep the committed data small; comparisons use tolerances far above that.
std::string jsonNumber(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.5g", value);
    return text;
}

std::optional<std::vector<llama_token>> tokenize(const llama_vocab* vocab, const std::string& text,
                                                 bool parseSpecial) {
    std::vector<llama_token> ids(text.size() + 8);
    for (int attempt = 0; attempt < 2; ++attempt) {
        int32_t count = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()),
                                       ids.data(), static_cast<int32_t>(ids.size()),
                                       /*add_special=*/true, parseSpecial);
        if (count >= 0) {
            ids.resize(count);
            return ids;
        }
        if (count == INT32_MIN)
            break;
        ids.resize(-count);
    }
    std::cerr << "tokenization failed for " << jsonString(text) << "\n";
    return std::nullopt;
}

// Owns the llama.cpp objects so every exit path frees them.
class Session {
  public:
    ~Session() {
        if (context_)
            llama_free(context_);
        if (model_)
            llama_model_free(model_);
    }

    bool loadModel(const std::string& path) {
        llama_model_params params = llama_model_default_params();
        params.n_gpu_layers = 0;
        params.progress_callback = [](float, void*) { return true; };  // no progress dots
        model_ = llama_model_load_from_file(path.c_str(), params);
        if (!model_)
            std::cerr << "cannot load model " << path << "\n";
        return model_ != nullptr;
    }

    // The batch holds a whole prompt, so a prompt is decoded in one llama_decode call and one
    // micro-batch, like our engine's prefill.
    bool createContext(uint32_t contextTokens, ggml_backend_sched_eval_callback observer = nullptr,
                       void* observerData = nullptr) {
        llama_context_params params = llama_context_default_params();
        params.cb_eval = observer;
        params.cb_eval_user_data = observerData;
        params.n_ctx = contextTokens;
        params.n_batch = contextTokens;
        params.n_ubatch = contextTokens;
        params.n_threads = kThreads;
        params.n_threads_batch = kThreads;
        params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
        context_ = llama_init_from_model(model_, params);
        if (!context_)
            std::cerr << "cannot create a context of " << contextTokens << " tokens\n";
        return context_ != nullptr;
    }

    const llama_vocab* vocab() const { return llama_model_get_vocab(model_); }
    int32_t vocabSize() const { return llama_vocab_n_tokens(vocab()); }
    llama_context* context() const { return context_; }

    void clearMemory() { llama_memory_clear(llama_get_memory(context_), true); }

    // Decodes ids at positions start.. ; logits are kept for every position or only the last.
    bool decode(const std::vector<llama_token>& ids, int32_t start, bool logitsEverywhere) {
        llama_batch batch = llama_batch_init(static_cast<int32_t>(ids.size()), 0, 1);
        for (size_t i = 0; i < ids.size(); ++i) {
            batch.token[i] = ids[i];
            batch.pos[i] = start + static_cast<int32_t>(i);
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i] = logitsEverywhere || i + 1 == ids.size();
        }
        batch.n_tokens = static_cast<int32_t>(ids.size());
        int32_t status = llama_decode(context_, batch);
        llama_batch_free(batch);
        if (status != 0)
            std::cerr << "llama_decode failed with status " << status << "\n";
        return status == 0;
    }

  private:
    llama_model* model_ = nullptr;
    llama_context* context_ = nullptr;
};

std::string positionJson(const float* logits, int32_t vocabSize) {
    std::vector<int32_t> order(vocabSize);
    std::iota(order.begin(), order.end(), 0);
    // Ties go to the lower id, which makes the list deterministic.
    std::partial_sort(order.begin(), order.begin() + kTopLogits, order.end(),
                      [logits](int32_t a, int32_t b) {
                          return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
                      });
    double maxLogit = logits[order[0]];
    double sum = 0.0;
    for (int32_t i = 0; i < vocabSize; ++i)
        sum += std::exp(logits[i] - maxLogit);
    std::string out = "{\"top\":[";
    for (int i = 0; i < kTopLogits; ++i) {
        if (i > 0)
            out += ",";
        out += '[';
        out += std::to_string(order[i]);
        out += ',';
        out += jsonNumber(logits[order[i]]);
        out += ']';
    }
    out += "],\"lse\":";
    out += jsonNumber(maxLogit + std::log(sum));
    out += '}';
    return out;
}

struct GreedyChoice {
    llama_token token = 0;
    float margin = 0.0f;  // best minus second-best logit: how robust the choice is to noise
};

// Ties go to the lower id.
GreedyChoice greedyChoice(const float* logits, int32_t vocabSize) {
    GreedyChoice choice;
    float best = logits[0];
    float second = -INFINITY;
    for (int32_t i = 1; i < vocabSize; ++i) {
        if (logits[i] > best) {
            second = best;
            best = logits[i];
            choice.token = i;
        } else if (logits[i] > second) {
            second = logits[i];
        }
    }
    choice.margin = best - second;
    return choice;
}

bool dumpTokenizer(Session& session, const std::vector<InputRecord>& records, std::ostream& out) {
    for (const InputRecord& record : records) {
        auto ids = tokenize(session.vocab(), record.text, record.parseSpecial);
        if (!ids)
            return false;
        out << "{\"text\":" << jsonString(record.text) << ",\"ids\":" << jsonIds(*ids);
        if (record.parseSpecial)
            out << ",\"parse_special\":true";
        out << "}\n";
    }
    return true;
}

bool dumpLogits(Session& session, const std::vector<InputRecord>& records, std::ostream& out) {
    for (const InputRecord& record : records) {
        auto ids = tokenize(session.vocab(), record.text, false);
        if (!ids)
            return false;
        session.clearMemory();
        if (!session.decode(*ids, 0, true))
            return false;
        out << "{\"prompt\":" << jsonString(record.text) << ",\"ids\":" << jsonIds(*ids)
            << ",\"positions\":[";
        for (size_t i = 0; i < ids->size(); ++i) {
            if (i > 0)
                out << ",";
            const float* logits = llama_get_logits_ith(session.context(), static_cast<int32_t>(i));
            if (!logits)
                return false;
            out << positionJson(logits, session.vocabSize());
        }
        out << "]}\n";
    }
    return true;
}

// The continuation ends with the end-of-generation token when one is produced. margins[i] is the
// gap between the two largest logits at step i, so a comparison can stop where a tie makes the
// argmax depend on rounding.
bool dumpGreedy(Session& session, const std::vector<InputRecord>& records, std::ostream& out) {
    for (const InputRecord& record : records) {
        auto ids = tokenize(session.vocab(), record.text, false);
        if (!ids)
            return false;
        session.clearMemory();
        if (!session.decode(*ids, 0, false))
            return false;
        std::vector<llama_token> continuation;
        std::string margins;
        while (static_cast<int>(continuation.size()) < kGreedyTokens) {
            const float* logits = llama_get_logits_ith(session.context(), -1);
            if (!logits)
                return false;
            GreedyChoice choice = greedyChoice(logits, session.vocabSize());
            continuation.push_back(choice.token);
            if (!margins.empty())
                margins += ',';
            margins += jsonNumber(choice.margin);
            if (llama_vocab_is_eog(session.vocab(), choice.token))
                break;
            auto position = static_cast<int32_t>(ids->size() + continuation.size() - 1);
            if (!session.decode({choice.token}, position, false))
                return false;
        }
        out << "{\"prompt\":" << jsonString(record.text) << ",\"ids\":" << jsonIds(*ids)
            << ",\"continuation\":" << jsonIds(continuation) << ",\"margins\":[" << margins
            << "]}\n";
    }
    return true;
}

// Receives every graph node as it is computed (cb_eval) and writes the float ones to a directory.
struct TensorDump {
    std::filesystem::path dir;
    std::ofstream index;
    int written = 0;

    static bool observe(ggml_tensor* t, bool ask, void* self) {
        if (ask)
            return t->type == GGML_TYPE_F32 || t->type == GGML_TYPE_F16;
        static_cast<TensorDump*>(self)->write(t);
        return true;
    }

    void write(const ggml_tensor* t) {
        if (!ggml_is_contiguous(t))
            return;
        const int64_t n = ggml_nelements(t);
        std::vector<float> values(n);
        if (t->type == GGML_TYPE_F32) {
            ggml_backend_tensor_get(t, values.data(), 0, n * sizeof(float));
        } else {
            std::vector<ggml_fp16_t> halves(n);
            ggml_backend_tensor_get(t, halves.data(), 0, n * sizeof(ggml_fp16_t));
            for (int64_t i = 0; i < n; ++i)
                values[i] = ggml_fp16_to_fp32(halves[i]);
        }
        std::string name = t->name;
        std::replace(name.begin(), name.end(), '/', '_');
        std::replace(name.begin(), name.end(), ' ', '_');
        // One name labels several nodes (a product, then its reshape and rotation): the op tells
        // them apart.
        name += std::string(".") + ggml_op_desc(t);
        std::ofstream out(dir / (name + ".f32"), std::ios::binary);
        out.write(reinterpret_cast<const char*>(values.data()), n * sizeof(float));
        index << name << ' ' << t->ne[0] << ' ' << t->ne[1] << ' ' << t->ne[2] << ' ' << t->ne[3]
              << '\n';
        ++written;
    }
};

bool dumpTensors(Session& session, const std::vector<InputRecord>& records) {
    if (records.empty())
        return false;
    auto ids = tokenize(session.vocab(), records[0].text, false);
    return ids && session.decode(*ids, 0, true);
}

// Room for the longest prompt plus its greedy continuation, in whole 256-token blocks.
uint32_t contextTokensFor(const Session& session, const std::vector<InputRecord>& records) {
    size_t longest = 0;
    for (const InputRecord& record : records) {
        auto ids = tokenize(session.vocab(), record.text, false);
        if (ids)
            longest = std::max(longest, ids->size());
    }
    return static_cast<uint32_t>((longest + kGreedyTokens + 255) / 256 * 256);
}

void quietLog(ggml_log_level level, const char* text, void*) {
    if (level >= GGML_LOG_LEVEL_WARN)
        std::fputs(text, stderr);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: " << argv[0]
                  << " {tokenizer|logits|greedy|tensors} MODEL.gguf INPUT OUTPUT\n";
        return 2;
    }
    const std::string mode = argv[1];
    if (mode != "tokenizer" && mode != "logits" && mode != "greedy" && mode != "tensors") {
        std::cerr << "unknown mode '" << mode << "'\n";
        return 2;
    }

    std::vector<InputRecord> records;
    if (!readInput(argv[3], mode == "tokenizer", records))
        return 1;

    llama_log_set(quietLog, nullptr);
    llama_backend_init();
    int status = 1;
    {
        Session session;
        if (mode == "tensors" && session.loadModel(argv[2])) {
            TensorDump dump;
            dump.dir = argv[4];
            std::filesystem::create_directories(dump.dir);
            dump.index.open(dump.dir / "index.txt");
            if (session.createContext(contextTokensFor(session, records), TensorDump::observe,
                                      &dump) &&
                dumpTensors(session, records)) {
                std::cerr << "wrote " << dump.written << " tensors to " << argv[4] << "\n";
                status = 0;
            }
        } else if (mode != "tensors" && session.loadModel(argv[2])) {
            std::ofstream out(argv[4], std::ios::binary);
            if (!out) {
                std::cerr << "cannot write " << argv[4] << "\n";
            } else if (mode == "tokenizer") {
                status = dumpTokenizer(session, records, out) ? 0 : 1;
            } else if (session.createContext(contextTokensFor(session, records))) {
                bool ok = mode == "logits" ? dumpLogits(session, records, out)
                                           : dumpGreedy(session, records, out);
                status = ok ? 0 : 1;
            }
            if (status == 0 && !out.flush()) {
                std::cerr << "write to " << argv[4] << " failed\n";
                status = 1;
            }
        }
    }
    llama_backend_free();
    return status;
}
