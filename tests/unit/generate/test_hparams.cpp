#include <QtTest>

#include "inference/model/hparams.h"
#include "support/gguf_builder.h"

using parley::gguf::GgufFile;
using parley::model::readHparams;
using parley::model::RopeStyle;
using parley::testing::GgufBuilder;

namespace {

GgufBuilder gemmaLike() {
    GgufBuilder b;
    b.kvString("general.architecture", "gemma3")
        .kvU32("gemma3.block_count", 12)
        .kvU32("gemma3.embedding_length", 640)
        .kvU32("gemma3.attention.head_count", 4)
        .kvU32("gemma3.attention.head_count_kv", 1)
        .kvU32("gemma3.attention.key_length", 256)
        .kvU32("gemma3.attention.value_length", 256)
        .kvU32("gemma3.feed_forward_length", 2048)
        .kvU32("gemma3.attention.sliding_window", 512)
        .kvF32("gemma3.rope.freq_base", 1e6f)
        .kvStringArray("tokenizer.ggml.tokens", {"a", "b", "c"});
    return b;
}

}  // namespace

class TestHparams : public QObject {
    Q_OBJECT
  private slots:
    void gemma3Defaults() {
        const auto bytes = gemmaLike().build();
        auto f = GgufFile::parse(bytes, "g.gguf");
        QVERIFY(f.ok());
        auto h = readHparams(*f);
        QVERIFY2(h.ok(), h.ok() ? "" : h.error().message.c_str());
        QCOMPARE(h->headDim, 256);
        QCOMPARE(h->qDim(), 1024);
        QCOMPARE(h->kvDim(), 256);
        QCOMPARE(h->nVocab, 3);
        QCOMPARE(h->ropeBase, 1e6f);
        QCOMPARE(h->ropeBaseSwa, 10000.f);
        QCOMPARE(h->attentionScale, 1.0f / 16.0f);
        QVERIFY(h->arch.rope == RopeStyle::HalfSplit);
        // Every sixth layer (5, 11) is global; the rest slide.
        for (int il = 0; il < 12; ++il)
            QCOMPARE(bool(h->layerIsSwa[il]), il % 6 != 5);
        QCOMPARE(h->slidingWindow, 512);
    }

    void llamaDefaults() {
        GgufBuilder b;
        b.kvString("general.architecture", "llama")
            .kvU32("llama.block_count", 2)
            .kvU32("llama.embedding_length", 64)
            .kvU32("llama.attention.head_count", 4)
            .kvU32("llama.feed_forward_length", 128)
            .kvStringArray("tokenizer.ggml.tokens", {"a"});
        const auto bytes = b.build();
        auto f = GgufFile::parse(bytes, "l.gguf");
        auto h = readHparams(*f);
        QVERIFY(h.ok());
        QCOMPARE(h->nHeadKv, 4);
        QCOMPARE(h->headDim, 16);
        QCOMPARE(h->nRot, 16);
        QCOMPARE(h->ropeBase, 10000.f);
        QVERIFY(h->arch.rope == RopeStyle::Interleaved);
        QVERIFY(std::none_of(h->layerIsSwa.begin(), h->layerIsSwa.end(), [](bool b) { return b; }));
    }

    void rejectsUnsupported_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown arch") << "mamba"
                                      << "architecture 'mamba' is not supported";
        QTest::newRow("bad gqa") << "badgqa"
                                 << "not a multiple of head_count_kv";
        QTest::newRow("missing key") << "nolayers"
                                     << "missing or non-integer llama.block_count";
    }

    void rejectsUnsupported() {
        QFETCH(QString, arch);
        QFETCH(QString, expected);
        GgufBuilder b;
        if (arch == "mamba") {
            b.kvString("general.architecture", "mamba");
        } else {
            b.kvString("general.architecture", "llama")
                .kvU32("llama.embedding_length", 64)
                .kvU32("llama.attention.head_count", 4)
                .kvU32("llama.feed_forward_length", 128);
            if (arch == "badgqa") {
                b.kvU32("llama.block_count", 1).kvU32("llama.attention.head_count_kv", 3);
            }
        }
        const auto bytes = b.build();
        auto f = GgufFile::parse(bytes, "x.gguf");
        QVERIFY(f.ok());
        auto h = readHparams(*f);
        QVERIFY(!h.ok());
        QVERIFY2(QString::fromStdString(h.error().message).contains(expected),
                 h.error().message.c_str());
        QVERIFY(QString::fromStdString(h.error().message).startsWith("x.gguf: "));
    }
};

QTEST_GUILESS_MAIN(TestHparams)
#include "test_hparams.moc"
