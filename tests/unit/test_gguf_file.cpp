#include <QtTest>

#include "inference/gguf/gguf_file.h"
#include "support/gguf_builder.h"

using parley::gguf::GgufFile;
using parley::testing::filledBytes;
using parley::testing::GgufBuilder;

namespace {

constexpr uint32_t kF32 = 0, kQ4_0 = 2, kQ8_0 = 8;

// A small valid file: scalar and array metadata plus two tensors.
GgufBuilder validBuilder() {
    GgufBuilder b;
    b.kvString("general.architecture", "llama")
        .kvU32("llama.block_count", 2)
        .kvU64("llama.context_length", 2048)
        .kvF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
        .kvBool("tokenizer.ggml.add_bos_token", true)
        .kvStringArray("tokenizer.ggml.tokens", {"<s>", "</s>", "hello"})
        .kvF32Array("tokenizer.ggml.scores", {0.f, -1.f, -2.5f})
        .tensor("token_embd.weight", {64, 3}, kQ8_0, filledBytes(2 * 34 * 3, 1))
        .tensor("output_norm.weight", {64}, kF32, filledBytes(64 * 4, 2));
    return b;
}

QString errorOf(const std::vector<std::byte>& bytes) {
    auto r = GgufFile::parse(bytes, "test.gguf");
    return r ? QString() : QString::fromStdString(r.error().message);
}

}  // namespace

class TestGgufFile : public QObject {
    Q_OBJECT
  private:
    void expectRejected() {
        QFETCH(QByteArray, file);
        QFETCH(QString, expected);
        std::vector<std::byte> bytes(
            reinterpret_cast<const std::byte*>(file.constData()),
            reinterpret_cast<const std::byte*>(file.constData()) + file.size());
        const QString err = errorOf(bytes);
        QVERIFY2(!err.isEmpty(), "malformed file was accepted");
        QVERIFY2(err.contains(expected), qPrintable(err));
    }

  private slots:
    void parsesValidFile() {
        const auto bytes = validBuilder().build();
        auto r = GgufFile::parse(bytes, "test.gguf");
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(r->version(), 3u);
        QCOMPARE(r->alignment(), 32u);
        QCOMPARE(r->metadata().size(), std::size_t(7));
        QCOMPARE(QString::fromStdString(std::string(*r->getString("general.architecture"))),
                 QString("llama"));
        QCOMPARE(*r->getUnsigned("llama.block_count"), uint64_t(2));
        QCOMPARE(*r->getUnsigned("llama.context_length"), uint64_t(2048));
        QCOMPARE(*r->getFloat("llama.block_count"), 2.0);  // integers read as floats too
        QVERIFY(
            qFuzzyCompare(float(*r->getFloat("llama.attention.layer_norm_rms_epsilon")), 1e-5f));
        QCOMPARE(*r->getBool("tokenizer.ggml.add_bos_token"), true);
        QVERIFY(!r->getString("llama.block_count"));  // wrong kind of value
        QVERIFY(!r->getUnsigned("missing.key"));
        const auto* tokens = r->getStringArray("tokenizer.ggml.tokens");
        QVERIFY(tokens != nullptr);
        QCOMPARE(tokens->size(), std::size_t(3));
        QCOMPARE(QString::fromStdString(std::string((*tokens)[2])), QString("hello"));
        const auto scores = r->getNumberArray("tokenizer.ggml.scores");
        QVERIFY(scores.has_value());
        QCOMPARE((*scores)[2], -2.5);

        QCOMPARE(r->tensors().size(), std::size_t(2));
        const auto* embd = r->findTensor("token_embd.weight");
        QVERIFY(embd != nullptr);
        QCOMPARE(embd->ne[0], uint64_t(64));
        QCOMPARE(embd->ne[1], uint64_t(3));
        QCOMPARE(embd->bytes, uint64_t(2 * 34 * 3));
        QCOMPARE(r->dataOffset() % 32, uint64_t(0));
        const auto* norm = r->findTensor("output_norm.weight");
        QVERIFY(norm != nullptr);
        QCOMPARE(norm->offset % 32, uint64_t(0));
        const auto data = r->tensorData(*norm);
        QCOMPARE(data.size(), std::size_t(256));
        QCOMPARE(std::to_integer<int>(data[0]), 2);
        QCOMPARE(std::to_integer<int>(r->tensorData(*embd)[0]), 1);
    }

    void honoursCustomAlignment() {
        GgufBuilder b(3, 64);
        b.kvU32("general.alignment", 64)
            .tensor("a", {32}, kF32, filledBytes(128))
            .tensor("b", {32}, kF32, filledBytes(128, 7));
        const auto bytes = b.build();
        auto r = GgufFile::parse(bytes, "t");
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(r->alignment(), 64u);
        QCOMPARE(r->dataOffset() % 64, uint64_t(0));
        QCOMPARE(r->findTensor("b")->offset, uint64_t(128));
        QCOMPARE(std::to_integer<int>(r->tensorData(*r->findTensor("b"))[0]), 7);
    }

    // Every prefix of a valid file is a truncated file: each must be refused with an error.
    void rejectsEveryTruncation() {
        const auto bytes = validBuilder().build();
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + n);
            const QString err = errorOf(prefix);
            QVERIFY2(!err.isEmpty(), qPrintable(QString("prefix of %1 bytes was accepted").arg(n)));
            QVERIFY2(err.startsWith("test.gguf: "), qPrintable(err));
        }
    }

    void rejectsMalformedHeaders_data() {
        QTest::addColumn<QByteArray>("file");
        QTest::addColumn<QString>("expected");
        auto q = [](const std::vector<std::byte>& v) {
            return QByteArray(reinterpret_cast<const char*>(v.data()), qsizetype(v.size()));
        };
        auto valid = validBuilder().build();

        auto badMagic = valid;
        badMagic[0] = std::byte{'X'};
        QTest::newRow("magic") << q(badMagic) << "bad magic";

        QTest::newRow("version 1") << q(GgufBuilder(1).build()) << "version 1";
        QTest::newRow("version 4") << q(GgufBuilder(4).build()) << "unsupported GGUF version 4";
        QTest::newRow("big endian") << q(GgufBuilder(0x03000000).build()) << "big-endian";

        std::vector<std::byte> hugeCounts;
        GgufBuilder::pod(hugeCounts, uint32_t(0x46554747));
        GgufBuilder::pod(hugeCounts, uint32_t(3));
        GgufBuilder::pod(hugeCounts, uint64_t(0));
        GgufBuilder::pod(hugeCounts, uint64_t(1) << 60);
        hugeCounts.resize(64);
        QTest::newRow("metadata count") << q(hugeCounts) << "metadata count";

        std::vector<std::byte> hugeTensors(hugeCounts.begin(), hugeCounts.begin() + 8);
        GgufBuilder::pod(hugeTensors, uint64_t(1) << 62);
        GgufBuilder::pod(hugeTensors, uint64_t(0));
        hugeTensors.resize(64);
        QTest::newRow("tensor count") << q(hugeTensors) << "tensor count";

        std::vector<std::byte> hugeString;
        GgufBuilder::str(hugeString, "key");
        GgufBuilder::pod(hugeString, uint32_t(8));
        GgufBuilder::pod(hugeString, ~uint64_t(0));
        QTest::newRow("string length")
            << q(GgufBuilder().kvRaw(hugeString, 1).build()) << "string is truncated";

        std::vector<std::byte> hugeArray;
        GgufBuilder::str(hugeArray, "arr");
        GgufBuilder::pod(hugeArray, uint32_t(9));
        GgufBuilder::pod(hugeArray, uint32_t(10));
        GgufBuilder::pod(hugeArray, uint64_t(1) << 61);
        QTest::newRow("array count")
            << q(GgufBuilder().kvRaw(hugeArray, 1).build()) << "exceeds the file size";

        std::vector<std::byte> nested;
        GgufBuilder::str(nested, "arr");
        GgufBuilder::pod(nested, uint32_t(9));
        GgufBuilder::pod(nested, uint32_t(9));
        GgufBuilder::pod(nested, uint64_t(0));
        QTest::newRow("nested array") << q(GgufBuilder().kvRaw(nested, 1).build()) << "nested";

        std::vector<std::byte> badType;
        GgufBuilder::str(badType, "k");
        GgufBuilder::pod(badType, uint32_t(13));
        GgufBuilder::pod(badType, uint64_t(0));
        QTest::newRow("value type")
            << q(GgufBuilder().kvRaw(badType, 1).build()) << "unknown value type 13";

        std::vector<std::byte> badBool;
        GgufBuilder::str(badBool, "b");
        GgufBuilder::pod(badBool, uint32_t(7));
        GgufBuilder::pod(badBool, uint8_t(2));
        QTest::newRow("bool") << q(GgufBuilder().kvRaw(badBool, 1).build()) << "invalid";

        QTest::newRow("duplicate key")
            << q(GgufBuilder().kvU32("a.b", 1).kvU32("a.b", 2).build()) << "duplicate key";
        QTest::newRow("empty key") << q(GgufBuilder().kvU32("", 1).build()) << "empty key";
        QTest::newRow("alignment type")
            << q(GgufBuilder().kvU64("general.alignment", 32).build()) << "must be a u32";
        QTest::newRow("alignment pow2")
            << q(GgufBuilder().kvU32("general.alignment", 48).build()) << "not a power of two";
        QTest::newRow("alignment zero")
            << q(GgufBuilder().kvU32("general.alignment", 0).build()) << "not a power of two";
    }

    void rejectsMalformedHeaders() { expectRejected(); }

    void rejectsMalformedTensors_data() {
        QTest::addColumn<QByteArray>("file");
        QTest::addColumn<QString>("expected");
        auto q = [](const std::vector<std::byte>& v) {
            return QByteArray(reinterpret_cast<const char*>(v.data()), qsizetype(v.size()));
        };
        QTest::newRow("unknown type")
            << q(GgufBuilder().tensor("t", {32}, 4, filledBytes(32)).build())
            << "unknown tensor type 4";
        QTest::newRow("partial block")
            << q(GgufBuilder().tensor("t", {48}, kQ4_0, filledBytes(36)).build())
            << "not a whole number of Q4_0 blocks";
        QTest::newRow("zero dims")
            << q(GgufBuilder().tensor("t", {}, kF32, filledBytes(4)).build()) << "0 dimensions";
        QTest::newRow("five dims")
            << q(GgufBuilder().tensor("t", {1, 1, 1, 1, 1}, kF32, filledBytes(4)).build())
            << "5 dimensions";
        QTest::newRow("zero size")
            << q(GgufBuilder().tensor("t", {0}, kF32, {}).build()) << "invalid size 0";
        QTest::newRow("element overflow")
            << q(GgufBuilder()
                     .tensor("t", {1ull << 32, 1ull << 32, 4}, kF32, filledBytes(4))
                     .build())
            << "overflows";
        QTest::newRow("byte overflow")
            << q(GgufBuilder().tensor("t", {1ull << 62}, kF32, filledBytes(4)).build())
            << "overflows";
        QTest::newRow("misaligned offset")
            << q(GgufBuilder().tensor("t", {8}, kF32, filledBytes(32), 8).build()) << "not aligned";
        QTest::newRow("past end")
            << q(GgufBuilder().tensor("t", {64}, kF32, filledBytes(16)).build())
            << "extends past the end";
        QTest::newRow("duplicate name") << q(GgufBuilder()
                                                 .tensor("t", {8}, kF32, filledBytes(32))
                                                 .tensor("t", {8}, kF32, filledBytes(32))
                                                 .build())
                                        << "duplicate tensor name";
        QTest::newRow("long name")
            << q(GgufBuilder().tensor(std::string(64, 'n'), {8}, kF32, filledBytes(32)).build())
            << "name longer than 63";
    }

    void rejectsMalformedTensors() { expectRejected(); }

    void openReportsMissingFile() {
        auto r = GgufFile::open("/nonexistent/dir/model.gguf");
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error().message)
                    .startsWith("/nonexistent/dir/model.gguf: cannot open"));
    }

    void openRejectsDirectory() {
        auto r = GgufFile::open(QDir::tempPath().toStdString());
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error().message).contains("not a regular file"));
    }

    void openMapsRealFile() {
        QTemporaryFile tmp;
        QVERIFY(tmp.open());
        const auto bytes = validBuilder().build();
        tmp.write(reinterpret_cast<const char*>(bytes.data()), qint64(bytes.size()));
        tmp.close();
        auto r = GgufFile::open(tmp.fileName().toStdString());
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(r->fileSize(), uint64_t(bytes.size()));
        // Moving the file object must keep views into the mapping valid.
        GgufFile moved = std::move(r.value());
        QCOMPARE(QString::fromStdString(std::string(*moved.getString("general.architecture"))),
                 QString("llama"));
    }
};

QTEST_GUILESS_MAIN(TestGgufFile)
#include "test_gguf_file.moc"
