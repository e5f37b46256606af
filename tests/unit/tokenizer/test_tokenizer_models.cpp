// The tokenizers of the default models: identical ids to llama.cpp on the reference corpus
// (tests/data/reference/<model>/tokenizer.jsonl), decoding that restores the text, and the
// all-MiniLM-L6-v2 WordPiece vocabulary.
#include <QtTest>

#include "inference/catalog/model_catalog.h"
#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/tokenizer.h"

using parley::gguf::GgufFile;
using parley::tokenizer::StreamingDecoder;
using parley::tokenizer::TokenId;
using parley::tokenizer::Tokenizer;

namespace {

constexpr const char* kSmolLm2 = "SmolLM2-135M-Instruct.Q4_1";
constexpr const char* kGemma3 = "gemma-3-270m-q4_k_m";

struct ReferenceLine {
    std::string text;
    bool parseSpecial = false;
    std::vector<TokenId> ids;
};

std::filesystem::path referenceFile(const char* model) {
    return std::filesystem::path(PARLEY_TEST_DATA_DIR) / "reference" / model / "tokenizer.jsonl";
}

std::vector<ReferenceLine> readReference(const std::filesystem::path& path) {
    std::vector<ReferenceLine> lines;
    QFile file(QString::fromStdString(path.string()));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", path.string().c_str());
    while (!file.atEnd()) {
        const QByteArray raw = file.readLine().trimmed();
        if (raw.isEmpty())
            continue;
        QJsonParseError error{};
        const QJsonObject object = QJsonDocument::fromJson(raw, &error).object();
        if (error.error != QJsonParseError::NoError)
            qFatal("%s: bad JSON line: %s", path.string().c_str(), raw.constData());
        ReferenceLine line;
        line.text = object.value("text").toString().toStdString();
        line.parseSpecial = object.value("parse_special").toBool(false);
        for (const auto id : object.value("ids").toArray())
            line.ids.push_back(TokenId(id.toInt()));
        lines.push_back(std::move(line));
    }
    return lines;
}

QString idsToString(const std::vector<TokenId>& ids) {
    QStringList parts;
    for (const TokenId id : ids)
        parts << QString::number(id);
    return "[" + parts.join(",") + "]";
}

}  // namespace

class TestTokenizerModels : public QObject {
    Q_OBJECT
  private:
    std::filesystem::path dir_ = parley::catalog::defaultModelsDir();
    std::optional<GgufFile> smol_, gemma_;
    std::unique_ptr<Tokenizer> smolTokenizer_, gemmaTokenizer_;

    const Tokenizer& tokenizerOf(const char* model) const {
        return std::string_view(model) == kSmolLm2 ? *smolTokenizer_ : *gemmaTokenizer_;
    }

    static std::unique_ptr<Tokenizer> load(std::optional<GgufFile>& file,
                                           const std::filesystem::path& path) {
        auto opened = GgufFile::open(path);
        if (!opened)
            qFatal("%s (run packaging/setup.sh to fetch the default models)",
                   opened.error().message.c_str());
        file.emplace(std::move(opened.value()));
        auto tokenizer = Tokenizer::fromGguf(*file);
        if (!tokenizer)
            qFatal("%s", tokenizer.error().message.c_str());
        return std::move(tokenizer.value());
    }

  private slots:
    void initTestCase() {
        smolTokenizer_ = load(smol_, dir_ / (std::string(kSmolLm2) + ".gguf"));
        gemmaTokenizer_ = load(gemma_, dir_ / (std::string(kGemma3) + ".gguf"));
    }

    void smolLm2Basics() {
        const Tokenizer& t = *smolTokenizer_;
        QCOMPARE(t.vocabSize(), 49152);
        QVERIFY(!t.addsBos());
        const auto ids = t.encode("Hello world", true, false);
        QCOMPARE(ids.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(std::string(t.tokenText(ids[0]))), QString("Hello"));
        QCOMPARE(QString::fromStdString(std::string(t.tokenText(ids[1]))),
                 QString::fromUtf8("\xC4\xA0world"));  // Ġworld
        // Chat-template markers are control tokens: split out only when parsing specials.
        const auto parsed = t.encode("<|im_start|>user\nHi<|im_end|>", false, true);
        QCOMPARE(parsed.front(), TokenId(1));
        QCOMPARE(parsed.back(), TokenId(2));
        QVERIFY(t.encode("<|im_start|>", false, false).size() > 1);
        QVERIFY(t.isEndOfGeneration(2));  // <|im_end|>
        QVERIFY(t.isEndOfGeneration(0));  // <|endoftext|>
        QVERIFY(!t.isEndOfGeneration(1));
        QCOMPARE(QString::fromStdString(t.decode(parsed, false)), QString("user\nHi"));
        QCOMPARE(QString::fromStdString(t.decode(parsed, true)),
                 QString("<|im_start|>user\nHi<|im_end|>"));
    }

    void gemma3Basics() {
        const Tokenizer& t = *gemmaTokenizer_;
        QCOMPARE(t.vocabSize(), 262144);
        QVERIFY(t.addsBos());
        QCOMPARE(t.bos(), TokenId(2));
        const auto ids = t.encode("Hello world", true, false);
        QCOMPARE(ids.front(), TokenId(2));
        QCOMPARE(QString::fromStdString(t.decode(ids, false)), QString("Hello world"));
        const auto turn = t.encode("<start_of_turn>user\nHi<end_of_turn>", false, true);
        QCOMPARE(turn.front(), TokenId(105));
        QCOMPARE(turn.back(), TokenId(106));
        QVERIFY(t.isEndOfGeneration(106));
        QVERIFY(t.isEndOfGeneration(t.eos()));
        // Byte fallback for a character the vocabulary lacks decodes back to it.
        const std::string rare = "\xF0\x9F\xAA\xBF";  // U+1FABF, newer than most vocabularies
        QCOMPARE(t.decode(t.encode(rare, false, false), false), rare);
    }

    void parity_data() {
        QTest::addColumn<QString>("model");
        QTest::newRow(kSmolLm2) << QString(kSmolLm2);
        QTest::newRow(kGemma3) << QString(kGemma3);
    }

    // Every reference line tokenizes to exactly llama.cpp's ids.
    void parity() {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        const auto path = referenceFile(name.c_str());
        if (!std::filesystem::exists(path))
            QSKIP(qPrintable("no llama.cpp reference data at " +
                             QString::fromStdString(path.string())));
        const auto lines = readReference(path);
        QVERIFY(lines.size() > 100);
        const Tokenizer& t = tokenizerOf(name.c_str());
        int mismatches = 0;
        int withSpecials = 0;
        for (const auto& line : lines) {
            withSpecials += line.parseSpecial;
            const auto ids = t.encode(line.text, true, line.parseSpecial);
            if (ids != line.ids) {
                if (++mismatches <= 10) {
                    qWarning("mismatch%s: %s\n  expected %s\n  got      %s",
                             line.parseSpecial ? " (parse_special)" : "",
                             QString::fromStdString(line.text)
                                 .toUtf8()
                                 .toPercentEncoding(" ")
                                 .constData(),
                             qPrintable(idsToString(line.ids)), qPrintable(idsToString(ids)));
                }
            }
        }
        qInfo("%s: %d of %zu lines identical (%d parse special)", name.c_str(),
              int(lines.size()) - mismatches, lines.size(), withSpecials);
        QCOMPARE(mismatches, 0);
    }

    void roundTrip_data() { parity_data(); }

    // Decoding the reference ids gives the text back (whole and streamed) for valid UTF-8.
    void roundTrip() {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        const auto path = referenceFile(name.c_str());
        if (!std::filesystem::exists(path))
            QSKIP(qPrintable("no llama.cpp reference data at " +
                             QString::fromStdString(path.string())));
        const Tokenizer& t = tokenizerOf(name.c_str());
        int checked = 0;
        for (const auto& line : readReference(path)) {
            if (line.parseSpecial)
                continue;
            const std::string decoded = t.decode(line.ids, false);
            QCOMPARE(QString::fromStdString(decoded), QString::fromStdString(line.text));
            StreamingDecoder stream(t);
            std::string streamed;
            for (const TokenId id : line.ids)
                streamed += stream.push(id);
            streamed += stream.flush();
            QCOMPARE(QString::fromStdString(streamed), QString::fromStdString(line.text));
            ++checked;
        }
        QVERIFY(checked > 100);
    }

    // A long mixed-script prompt survives encode + decode unchanged.
    void longPromptRoundTrip() {
        std::string text;
        while (text.size() < 12000)
            text +=
                "The quick brown fox jumps over the lazy dog; numbers 12345 and symbols "
                "{}[] & \xC3\xA9migr\xC3\xA9 na\xC3\xAFvet\xC3\xA9, \xE6\x9D\xB1\xE4\xBA\xAC "
                "and emoji \xF0\x9F\x98\x80.\n\t  indented\r\n";
        for (const char* model : {kSmolLm2, kGemma3}) {
            const Tokenizer& t = tokenizerOf(model);
            const auto ids = t.encode(text, false, false);
            QVERIFY(ids.size() > 2000);
            QCOMPARE(t.decode(ids, false), text);
        }
    }

    // Same ids as Hugging Face's BertTokenizerFast on the model's own tokenizer.json.
    void miniLmParity() {
        const std::filesystem::path path =
            std::filesystem::path(TOKENIZER_TEST_DIR) / "data" / "all-MiniLM-L6-v2.jsonl";
        const auto lines = readReference(path);
        QVERIFY(lines.size() > 100);
        auto loaded =
            parley::tokenizer::wordPieceFromVocabFile(dir_ / "all-MiniLM-L6-v2" / "vocab.txt");
        QVERIFY(loaded.ok());
        const Tokenizer& t = *loaded.value();
        int mismatches = 0;
        for (const auto& line : lines) {
            const auto ids = t.encode(line.text, true, false);
            if (ids != line.ids && ++mismatches <= 10) {
                qWarning(
                    "mismatch: %s\n  expected %s\n  got      %s",
                    QString::fromStdString(line.text).toUtf8().toPercentEncoding(" ").constData(),
                    qPrintable(idsToString(line.ids)), qPrintable(idsToString(ids)));
            }
        }
        qInfo("all-MiniLM-L6-v2: %d of %zu lines identical", int(lines.size()) - mismatches,
              lines.size());
        QCOMPARE(mismatches, 0);
    }

    void miniLmVocab() {
        const auto vocab = dir_ / "all-MiniLM-L6-v2" / "vocab.txt";
        auto loaded = parley::tokenizer::wordPieceFromVocabFile(vocab);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
        const Tokenizer& t = *loaded.value();
        QCOMPARE(t.vocabSize(), 30522);
        QCOMPARE(t.bos(), TokenId(101));
        const auto ids = t.encode("Hello, World! Café", true, false);
        // [CLS] hello , world ! cafe [SEP] (uncased, accents stripped)
        QCOMPARE(idsToString(ids), idsToString({101, 7592, 1010, 2088, 999, 7668, 102}));
        QCOMPARE(QString::fromStdString(t.decode(ids, false)), QString("hello, world! cafe"));
        // Words made of pieces use ## continuations; unknown scripts give [UNK].
        const auto pieces = t.encode("tokenization", false, false);
        QVERIFY(pieces.size() >= 2);
        QCOMPARE(QString::fromStdString(t.decode(pieces, false)), QString("tokenization"));
    }
};

QTEST_GUILESS_MAIN(TestTokenizerModels)
#include "test_tokenizer_models.moc"
