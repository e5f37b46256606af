// The set-up fetched the default models, and their GGUF headers parse into the architectures,
// tokenizers and tensor types the engine expects.
#include <QtTest>

#include <set>

#include "inference/catalog/model_catalog.h"
#include "inference/gguf/gguf_file.h"

using parley::gguf::GgufFile;
using parley::quant::GgmlType;

class TestDefaultModels : public QObject {
    Q_OBJECT
  private:
    std::filesystem::path dir_ = parley::catalog::defaultModelsDir();

    GgufFile open(const char* name) {
        auto r = GgufFile::open(dir_ / name);
        if (!r)
            qFatal("%s (run packaging/setup.sh to fetch the default models)",
                   r.error().message.c_str());
        return std::move(r.value());
    }

    static std::set<GgmlType> typesOf(const GgufFile& f) {
        std::set<GgmlType> types;
        for (const auto& t : f.tensors())
            types.insert(t.type);
        return types;
    }

  private slots:
    void smolLm2() {
        const auto f = open("SmolLM2-135M-Instruct.Q4_1.gguf");
        QCOMPARE(QString::fromStdString(std::string(*f.getString("general.architecture"))),
                 QString("llama"));
        QCOMPARE(*f.getUnsigned("llama.block_count"), uint64_t(30));
        QCOMPARE(*f.getUnsigned("llama.embedding_length"), uint64_t(576));
        QCOMPARE(*f.getUnsigned("llama.attention.head_count"), uint64_t(9));
        QCOMPARE(*f.getUnsigned("llama.attention.head_count_kv"), uint64_t(3));
        QCOMPARE(QString::fromStdString(std::string(*f.getString("tokenizer.ggml.model"))),
                 QString("gpt2"));
        QCOMPARE(f.getStringArray("tokenizer.ggml.tokens")->size(), std::size_t(49152));
        QVERIFY(f.getString("tokenizer.chat_template")->find("<|im_start|>") !=
                std::string_view::npos);
        QCOMPARE(f.tensors().size(), std::size_t(2 + 30 * 9));
        const auto* embd = f.findTensor("token_embd.weight");
        QVERIFY(embd != nullptr);
        QCOMPARE(embd->ne[0], uint64_t(576));
        QCOMPARE(embd->ne[1], uint64_t(49152));
        QVERIFY(typesOf(f).contains(GgmlType::Q4_1));
        QVERIFY(typesOf(f).contains(GgmlType::F32));
        // Every tensor's bytes lie inside the file.
        for (const auto& t : f.tensors()) {
            QVERIFY(f.dataOffset() + t.offset + t.bytes <= f.fileSize());
        }
    }

    void gemma3() {
        const auto f = open("gemma-3-270m-q4_k_m.gguf");
        QCOMPARE(QString::fromStdString(std::string(*f.getString("general.architecture"))),
                 QString("gemma3"));
        QCOMPARE(*f.getUnsigned("gemma3.block_count"), uint64_t(18));
        QCOMPARE(*f.getUnsigned("gemma3.embedding_length"), uint64_t(640));
        QCOMPARE(*f.getUnsigned("gemma3.attention.key_length"), uint64_t(256));
        QCOMPARE(QString::fromStdString(std::string(*f.getString("tokenizer.ggml.model"))),
                 QString("llama"));
        QCOMPARE(f.getStringArray("tokenizer.ggml.tokens")->size(), std::size_t(262144));
        const auto types = typesOf(f);
        for (auto t : {GgmlType::Q5_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K}) {
            QVERIFY2(types.contains(t), parley::quant::typeTraits(t).name.data());
        }
    }

    void catalogListsBoth() {
        const auto models = parley::catalog::scanModels(dir_);
        QStringList ids;
        for (const auto& m : models) {
            QVERIFY2(m.error.empty(), m.error.c_str());
            ids << QString::fromStdString(m.id);
        }
        QVERIFY(ids.contains("SmolLM2-135M-Instruct.Q4_1"));
        QVERIFY(ids.contains("gemma-3-270m-q4_k_m"));
    }

    void embeddingModelPresent() {
        const auto mini = dir_ / "all-MiniLM-L6-v2";
        QVERIFY(std::filesystem::file_size(mini / "model.safetensors") > 80'000'000);
        QVERIFY(std::filesystem::exists(mini / "vocab.txt"));
        QVERIFY(std::filesystem::exists(mini / "tokenizer.json"));
    }
};

QTEST_GUILESS_MAIN(TestDefaultModels)
#include "test_default_models.moc"
