// Tokenizers on small hand-built vocabularies (GGUF files built in memory): SentencePiece,
// byte-level BPE with its pre-tokenizers, WordPiece, special-token splitting, decoding and the
// streaming decoder, plus the Unicode tables underneath.
#include <QtTest>

#include "inference/tokenizer/pre_tokenizer.h"
#include "inference/tokenizer/tokenizer.h"
#include "inference/tokenizer/unicode.h"
#include "support/gguf_builder.h"

using parley::gguf::GgufFile;
using parley::testing::GgufBuilder;
using parley::tokenizer::PreTokenizerKind;
using parley::tokenizer::StreamingDecoder;
using parley::tokenizer::TokenId;
using parley::tokenizer::Tokenizer;
namespace unicode = parley::tokenizer::unicode;

namespace {

constexpr int32_t kNormal = 1, kControl = 3, kUserDefined = 4, kByte = 6;

struct Token {
    std::string text;
    int32_t type = kNormal;
    float score = 0.0f;
};

// Keeps the GGUF bytes and file alive as long as the tokenizer.
struct Built {
    std::vector<std::byte> bytes;
    std::optional<GgufFile> file;
    std::unique_ptr<Tokenizer> tokenizer;
    std::string error;

    const Tokenizer& operator*() const { return *tokenizer; }
    const Tokenizer* operator->() const { return tokenizer.get(); }
};

GgufBuilder& addVocabulary(GgufBuilder& builder, const std::vector<Token>& tokens) {
    std::vector<std::string> texts;
    std::vector<float> scores;
    std::vector<std::byte> types;
    for (const auto& t : tokens) {
        texts.push_back(t.text);
        scores.push_back(t.score);
        GgufBuilder::pod(types, t.type);
    }
    // token_type is an INT32 array: written raw (type 9, element type 5).
    std::vector<std::byte> record;
    GgufBuilder::str(record, "tokenizer.ggml.token_type");
    GgufBuilder::pod(record, uint32_t(9));
    GgufBuilder::pod(record, uint32_t(5));
    GgufBuilder::pod(record, uint64_t(tokens.size()));
    record.insert(record.end(), types.begin(), types.end());
    return builder.kvStringArray("tokenizer.ggml.tokens", texts)
        .kvF32Array("tokenizer.ggml.scores", scores)
        .kvRaw(record, 1);
}

Built build(const GgufBuilder& builder) {
    Built built;
    built.bytes = builder.build();
    auto file = GgufFile::parse(built.bytes, "test.gguf");
    if (!file)
        qFatal("%s", file.error().message.c_str());
    built.file.emplace(std::move(file.value()));
    auto tokenizer = Tokenizer::fromGguf(*built.file);
    if (tokenizer)
        built.tokenizer = std::move(tokenizer.value());
    else
        built.error = tokenizer.error().message;
    return built;
}

QString ids(const std::vector<TokenId>& values) {
    QStringList parts;
    for (const TokenId id : values)
        parts << QString::number(id);
    return parts.join(",");
}

QString texts(const Tokenizer& t, const std::vector<TokenId>& values) {
    QStringList parts;
    for (const TokenId id : values)
        parts << QString::fromStdString(std::string(t.tokenText(id)));
    return parts.join("|");
}

QStringList pieces(std::string_view text, PreTokenizerKind kind) {
    const std::u32string cps = unicode::decode(text);
    QStringList out;
    std::size_t begin = 0;
    for (const std::size_t end : parley::tokenizer::preTokenize(cps, kind)) {
        out << QString::fromStdString(
            unicode::encode(std::u32string_view(cps).substr(begin, end - begin)));
        begin = end;
    }
    return out;
}

// --- SentencePiece vocabulary: ids 0-2 specials, 3-258 byte tokens, then pieces.
std::vector<Token> spmTokens() {
    std::vector<Token> tokens{{"<unk>", 2}, {"<s>", kControl}, {"</s>", kControl}};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.push_back({name, kByte});
    }
    const std::vector<std::pair<std::string, float>> pieces{
        {"\xE2\x96\x81", -1},
        {"h", -1},
        {"e", -1},
        {"l", -1},
        {"o", -1},
        {"he", -1},
        {"ll", -2},
        {"hell", -3},
        {"hello", -4},
        {"\xE2\x96\x81hello", -5},
        {"w", -1},
        {"x", -1},
        {"y", -1},
        {"<tag>", 0},
    };
    for (const auto& [text, score] : pieces)
        tokens.push_back({text, kNormal, score});
    tokens.back().type = kUserDefined;
    return tokens;
}

TokenId spmId(const Tokenizer& t, std::string_view text) {
    for (TokenId id = 0; id < t.vocabSize(); ++id) {
        if (t.tokenText(id) == text)
            return id;
    }
    qFatal("no token %s", std::string(text).c_str());
}

Built spmTokenizer(std::optional<bool> addSpacePrefix = std::nullopt) {
    GgufBuilder builder;
    builder.kvString("tokenizer.ggml.model", "llama");
    addVocabulary(builder, spmTokens());
    if (addSpacePrefix)
        builder.kvBool("tokenizer.ggml.add_space_prefix", *addSpacePrefix);
    return build(builder);
}

// --- Byte-level BPE vocabulary: the 256 byte characters, then merged tokens and specials.
std::string byteChar(unsigned char b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    char32_t cp = b;
    if (!printable) {
        cp = 0x100;
        for (int x = 0; x < b; ++x) {
            const bool p = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
            cp += p ? 0 : 1;
        }
    }
    std::string s;
    unicode::appendUtf8(s, cp);
    return s;
}

Built bpeTokenizer(std::string_view pre, std::vector<std::string> merges,
                   std::vector<std::string> extra = {}, bool withAddBosKey = false) {
    std::vector<Token> tokens{
        {"<|endoftext|>", kControl}, {"<|im_end|>", kControl}, {"<tool>", kUserDefined}};
    for (int b = 0; b < 256; ++b)
        tokens.push_back({byteChar(static_cast<unsigned char>(b))});
    for (const auto& text : {"he", "ll", "hell", "hello", "\xC4\xA0w", "or", "\xC4\xA0wor", "ld",
                             "\xC4\xA0world", "el"})
        tokens.push_back({text});
    for (auto& text : extra)
        tokens.push_back({std::move(text)});
    GgufBuilder builder;
    builder.kvString("tokenizer.ggml.model", "gpt2");
    if (!pre.empty())
        builder.kvString("tokenizer.ggml.pre", pre);
    addVocabulary(builder, tokens);
    builder.kvStringArray("tokenizer.ggml.merges", merges);
    builder.kvU32("tokenizer.ggml.eos_token_id", 0);
    if (withAddBosKey)
        builder.kvBool("tokenizer.ggml.add_bos_token", false);
    return build(builder);
}

const std::vector<std::string> kHelloWorldMerges{
    "h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r", "\xC4\xA0w or", "l d", "\xC4\xA0wor ld",
};

}  // namespace

class TestTokenizer : public QObject {
    Q_OBJECT
  private slots:
    // --- Unicode tables and UTF-8

    void unicodeCategories() {
        QVERIFY(unicode::flagsOf('a').isLetter());
        QVERIFY(unicode::flagsOf(0x4E2D).isLetter());  // 中
        QVERIFY(unicode::flagsOf(0x0663).isNumber());  // Arabic-Indic 3
        QVERIFY(unicode::flagsOf(0x3001).isPunctuation());
        QVERIFY(unicode::flagsOf(0x20AC).isSymbol());  // €
        QVERIFY(unicode::flagsOf(0x0301).isMark());
        QVERIFY(unicode::flagsOf(0x3000).isWhitespace());
        QVERIFY(unicode::flagsOf(0x00A0).isWhitespace());
        QVERIFY(!unicode::flagsOf(0x001C).isWhitespace());
        QVERIFY(unicode::flagsOf('\n').isControl() && unicode::flagsOf('\n').isWhitespace());
        QCOMPARE(unicode::flagsOf(0x10FFFF).bits, uint16_t(unicode::CodepointFlags::Undefined));
        QCOMPARE(uint32_t(unicode::toLower(U'Ä')), uint32_t(U'ä'));
        QCOMPARE(uint32_t(unicode::toLower(0x0410)), uint32_t(0x0430));  // Cyrillic А
        QCOMPARE(uint32_t(unicode::toLower(0x0100)), uint32_t(0x0101));  // stride-2 run
        QCOMPARE(uint32_t(unicode::toLower(0x0101)), uint32_t(0x0101));
        QCOMPARE(uint32_t(unicode::decompositionFirst(U'é')), uint32_t('e'));
        QCOMPARE(uint32_t(unicode::decompositionFirst(0x1EC7)), uint32_t('e'));  // ệ
        QCOMPARE(unicode::decomposeHangul(0xD55C).size(), std::size_t(3));       // 한
    }

    void utf8Decoding() {
        std::size_t offset = 0;
        QCOMPARE(uint32_t(unicode::decodeOne("\xE2\x82\xAC", offset)), uint32_t(0x20AC));
        QCOMPARE(offset, std::size_t(3));
        const std::u32string bad = unicode::decode(
            "a\xFF\xE2\x82"
            "b");
        QCOMPARE(bad.size(), std::size_t(5));  // a, FFFD, FFFD, FFFD, b
        QCOMPARE(uint32_t(bad[1]), uint32_t(unicode::kReplacementCharacter));
        QCOMPARE(uint32_t(bad[4]), uint32_t('b'));

        std::string out;
        QCOMPARE(unicode::appendValidated(out, "ok\xE2\x82", true), std::size_t(2));
        QCOMPARE(out, std::string("ok"));
        out.clear();
        QCOMPARE(unicode::appendValidated(out, "ok\xE2\x82", false), std::size_t(4));
        QCOMPARE(out, std::string("ok\xEF\xBF\xBD"));
        out.clear();
        unicode::appendValidated(out, "\xC0\xAF\xED\xA0\x80", true);  // overlong, surrogate
        QVERIFY(out.find('/') == std::string::npos);
        QCOMPARE(unicode::decode(out).size(), std::size_t(5));  // one U+FFFD per maximal subpart
    }

    // --- Pre-tokenizers

    void preTokenizers() {
        QCOMPARE(pieces("Hello world's  test 123!!\n\n  x", PreTokenizerKind::Gpt2),
                 QStringList({"Hello", " world", "'s", " ", " test", " 123", "!!", "\n\n ", " x"}));
        QCOMPARE(pieces("I'VE 12345 abc\r\n\n  x  ", PreTokenizerKind::Llama3),
                 QStringList({"I", "'VE", " ", "123", "45", " abc", "\r\n\n", " ", " x", "  "}));
        QCOMPARE(pieces("ab 12, (ok)\n", PreTokenizerKind::Qwen2),
                 QStringList({"ab", " ", "1", "2", ",", " (", "ok", ")\n"}));
        QCOMPARE(pieces("abc 123", PreTokenizerKind::Starcoder),
                 QStringList({"abc", " ", "1", "2", "3"}));
        QCOMPARE(pieces("a+b=12345", PreTokenizerKind::Default),
                 QStringList({"a", "+", "b", "=", "123", "45"}));
        QCOMPARE(pieces("ab 12\n\xE4\xB8\xAD\xE6\x96\x87", PreTokenizerKind::DeepseekCoder),
                 QStringList({"ab", " ", "1", "2", "\n", "\xE4\xB8\xAD\xE6\x96\x87"}));
        QCOMPARE(pieces("Hello, \xE4\xB8\x96\xE7\x95\x8C 123  ", PreTokenizerKind::DeepseekLlm),
                 QStringList({"Hello", ",", " ", "\xE4\xB8\x96\xE7\x95\x8C", " ", "123", "  "}));
        // Letters of any script, and marks are not letters.
        QCOMPARE(pieces("\xD0\x9F\xD1\x80\xD0\xB8 caf\xC3\xA9", PreTokenizerKind::Gpt2),
                 QStringList({"\xD0\x9F\xD1\x80\xD0\xB8", " caf\xC3\xA9"}));
        QVERIFY(pieces("", PreTokenizerKind::Llama3).isEmpty());
        QCOMPARE(pieces("   ", PreTokenizerKind::Gpt2), QStringList({"   "}));
        QVERIFY(!parley::tokenizer::preTokenizerSpec("no-such-pre").has_value());
        QVERIFY(parley::tokenizer::preTokenizerSpec("llama-bpe")->ignoreMerges);
    }

    // --- SentencePiece

    void spmMergesByScore() {
        const auto t = spmTokenizer();
        QVERIFY2(t.tokenizer, t.error.c_str());
        QVERIFY(t->addsBos());
        const auto out = t->encode("hello", true, false);
        QCOMPARE(texts(*t, out), QString::fromUtf8("<s>|\xE2\x96\x81hello"));
        QCOMPARE(QString::fromStdString(t->decode(out, false)), QString("hello"));
        QCOMPARE(ids(t->encode("", true, false)), QString("1"));
        QVERIFY(t->encode("", false, false).empty());
        // Spaces become U+2581 pieces; the dummy prefix adds one.
        QCOMPARE(texts(*t, t->encode("  ", false, false)),
                 QString::fromUtf8("\xE2\x96\x81|\xE2\x96\x81|\xE2\x96\x81"));
    }

    void spmByteFallback() {
        const auto t = spmTokenizer(false);
        QVERIFY2(t.tokenizer, t.error.c_str());
        const auto out = t->encode("h\xC3\xA9", false, false);  // é is not in the vocabulary
        QCOMPARE(texts(*t, out), QString("h|<0xC3>|<0xA9>"));
        QCOMPARE(t->decode(out, false), std::string("h\xC3\xA9"));
        // Invalid UTF-8 goes through byte tokens unchanged; symbols are cut by lead byte, so
        // the broken "\xC3x" is one symbol, all of it bytes (as in llama.cpp).
        const auto invalid = t->encode("\xFF\xC3x", false, false);
        QCOMPARE(texts(*t, invalid), QString("<0xFF>|<0xC3>|<0x78>"));
        QCOMPARE(t->decode(invalid, false), std::string("\xFF\xC3x"));
        const auto emoji = t->encode("\xF0\x9F\x98\x80", false, false);
        QCOMPARE(emoji.size(), std::size_t(4));
        QCOMPARE(t->decode(emoji, false), std::string("\xF0\x9F\x98\x80"));
    }

    void spmSpecialTokens() {
        const auto t = spmTokenizer();
        QVERIFY2(t.tokenizer, t.error.c_str());
        // Control tokens only with parseSpecial; user-defined always; a space prefix follows.
        QCOMPARE(texts(*t, t->encode("x<s>y", false, false)),
                 QString::fromUtf8("\xE2\x96\x81|x|<0x3C>|<0x73>|<0x3E>|y"));
        QCOMPARE(texts(*t, t->encode("x<s>y", false, true)),
                 QString::fromUtf8("\xE2\x96\x81|x|<s>|\xE2\x96\x81|y"));
        QCOMPARE(texts(*t, t->encode("x<tag>y", false, false)),
                 QString::fromUtf8("\xE2\x96\x81|x|<tag>|\xE2\x96\x81|y"));
        const auto withTag = t->encode("x<tag>y", false, false);
        QCOMPARE(t->decode(withTag, false), std::string("x<tag> y"));
        QCOMPARE(t->decode(t->encode("<s>", false, true), false), std::string());
        QCOMPARE(t->decode(t->encode("<s>", false, true), true), std::string("<s>"));
        QVERIFY(t->isEndOfGeneration(2));
        QVERIFY(!t->isEndOfGeneration(1));
        QVERIFY(!t->isEndOfGeneration(-1));
        QVERIFY(!t->isEndOfGeneration(1 << 20));
    }

    // --- Byte-level BPE

    void bpeMergesByRank() {
        const auto t = bpeTokenizer("gpt-2", kHelloWorldMerges);
        QVERIFY2(t.tokenizer, t.error.c_str());
        QVERIFY(!t->addsBos());
        const auto out = t->encode("hello world", true, false);
        QCOMPARE(texts(*t, out), QString::fromUtf8("hello|\xC4\xA0world"));
        QCOMPARE(t->decode(out, false), std::string("hello world"));
        // With "e l" ranked first, "he" can no longer form.
        std::vector<std::string> merges{"e l"};
        merges.insert(merges.end(), kHelloWorldMerges.begin(), kHelloWorldMerges.end());
        const auto ranked = bpeTokenizer("gpt-2", merges);
        QCOMPARE(texts(*ranked, ranked->encode("hello", false, false)), QString("h|el|l|o"));
    }

    void bpeEdgeCases() {
        const auto t = bpeTokenizer("smollm", kHelloWorldMerges);
        QVERIFY2(t.tokenizer, t.error.c_str());
        QVERIFY(t->encode("", true, false).empty());
        QCOMPARE(texts(*t, t->encode("   ", false, false)),
                 QString::fromUtf8("\xC4\xA0|\xC4\xA0|\xC4\xA0"));
        const std::string emoji = "\xF0\x9F\x98\x80";
        const auto emojiIds = t->encode(emoji, false, false);
        QCOMPARE(emojiIds.size(), std::size_t(4));  // one token per byte, no merges
        QCOMPARE(t->decode(emojiIds, false), emoji);
        // Invalid UTF-8 is tokenized as U+FFFD (as llama.cpp does) and never crashes.
        const auto invalid = t->encode("a\xFF", false, false);
        QCOMPARE(t->decode(invalid, false), std::string("a\xEF\xBF\xBD"));
        for (const char* nasty : {"\xC0", "\xE2\x82", "\xF4\x90\x80\x80", "\xED\xA0\x80 x"})
            QVERIFY(!t->decode(t->encode(nasty, true, true), false).empty());
    }

    void bpeSpecialTokens() {
        const auto t = bpeTokenizer("gpt-2", kHelloWorldMerges);
        QVERIFY2(t.tokenizer, t.error.c_str());
        const auto plain = t->encode("hello<|im_end|>", false, false);
        QVERIFY(plain.size() > 2);
        QCOMPARE(ids(t->encode("hello<|im_end|>", false, true)),
                 ids({*t->encode("hello", false, false).begin(), 1}));
        QCOMPARE(texts(*t, t->encode("hello<tool>", false, false)), QString("hello|<tool>"));
        // <|im_end|> ends generation by its text; eos by id.
        QVERIFY(t->isEndOfGeneration(1));
        QVERIFY(t->isEndOfGeneration(0));
        QVERIFY(!t->isEndOfGeneration(2));
        QCOMPARE(t->decode(t->encode("hello<|im_end|>", false, true), false), std::string("hello"));
    }

    void bpeLlama3IgnoresMerges() {
        // "Ġworld" is a token but no merge chain leads to it without the merges list.
        const auto llama3 = bpeTokenizer("llama-bpe", {});
        QVERIFY2(llama3.tokenizer, llama3.error.c_str());
        QCOMPARE(texts(*llama3, llama3->encode(" world", false, false)),
                 QString::fromUtf8("\xC4\xA0world"));
        QVERIFY(llama3->addsBos());  // llama3 family default
        const auto gpt2 = bpeTokenizer("gpt-2", {});
        QCOMPARE(gpt2->encode(" world", false, false).size(), std::size_t(6));
        QVERIFY(!bpeTokenizer("llama-bpe", {}, {}, true)->addsBos());  // the file's key wins
    }

    void cleanUpSpaces() {
        const auto gpt2 = bpeTokenizer("gpt-2", kHelloWorldMerges, {"\xC4\xA0."});
        QCOMPARE(gpt2->decode(gpt2->encode("hello .", false, false), false), std::string("hello."));
        const auto smollm = bpeTokenizer("smollm", kHelloWorldMerges, {"\xC4\xA0."});
        QCOMPARE(smollm->decode(smollm->encode("hello .", false, false), false),
                 std::string("hello ."));
    }

    // --- WordPiece

    void wordPieceFromGguf() {
        const std::vector<Token> vocab{{"[PAD]", kControl},
                                       {"[UNK]", 2},
                                       {"[CLS]", kControl},
                                       {"[SEP]", kControl},
                                       {"[MASK]", kControl},
                                       {"\xE2\x96\x81hello"},
                                       {"\xE2\x96\x81world"},
                                       {"\xE2\x96\x81un"},
                                       {"aff"},
                                       {"able"},
                                       {"\xE2\x96\x81,"},
                                       {"\xE2\x96\x81!"},
                                       {"\xE2\x96\x81"
                                        "cafe"},
                                       {"\xE2\x96\x81\xE4\xB8\xAD"}};
        GgufBuilder builder;
        builder.kvString("tokenizer.ggml.model", "bert");
        addVocabulary(builder, vocab)
            .kvU32("tokenizer.ggml.cls_token_id", 2)
            .kvU32("tokenizer.ggml.seperator_token_id", 3)
            .kvU32("tokenizer.ggml.unknown_token_id", 1);
        const auto t = build(builder);
        QVERIFY2(t.tokenizer, t.error.c_str());
        QCOMPARE(ids(t->encode("Hello, unaffable World!", true, false)),
                 QString("2,5,10,7,8,9,6,11,3"));
        QCOMPARE(ids(t->encode("Caf\xC3\xA9 \xE4\xB8\xAD\xE4\xB8\xAD", false, false)),
                 QString("12,13,13"));
        QCOMPARE(ids(t->encode("unaffx hello", false, false)), QString("1,5"));
        QCOMPARE(t->decode(t->encode("unaffable world", true, false), false),
                 std::string("unaffable world"));
    }

    void wordPieceFromVocabFile() {
        QTemporaryDir dir;
        const QString path = dir.filePath("vocab.txt");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(
            "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\nun\n##aff\n##able\n,\n!\n"
            "cafe\n");
        file.close();
        auto loaded = parley::tokenizer::wordPieceFromVocabFile(path.toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
        const Tokenizer& t = *loaded.value();
        const auto out = t.encode("Hello, UNAFFABLE  Caf\xC3\xA9!", true, false);
        QCOMPARE(ids(out), QString("2,5,10,7,8,9,12,11,3"));
        QCOMPARE(t.decode(out, false), std::string("hello, unaffable cafe!"));
        // A combining accent typed separately is stripped too.
        QCOMPARE(ids(t.encode("cafe\xCC\x81", false, false)), QString("12"));
        QVERIFY(
            !parley::tokenizer::wordPieceFromVocabFile(dir.filePath("missing.txt").toStdString())
                 .ok());
    }

    // --- Streaming decoder

    void streamingDecoderSplitsCharacters() {
        const auto t = spmTokenizer();
        const TokenId c3 = spmId(*t, "<0xC3>"), a9 = spmId(*t, "<0xA9>"), ff = spmId(*t, "<0xFF>");
        StreamingDecoder stream(*t);
        QCOMPARE(stream.push(spmId(*t, "\xE2\x96\x81hello")), std::string("hello"));
        QCOMPARE(stream.push(c3), std::string());
        QCOMPARE(stream.push(a9), std::string("\xC3\xA9"));
        QCOMPARE(stream.push(spmId(*t, "\xE2\x96\x81")), std::string(" "));
        QCOMPARE(stream.push(ff), std::string("\xEF\xBF\xBD"));  // can never complete
        QCOMPARE(stream.push(c3), std::string());
        QCOMPARE(stream.flush(), std::string("\xEF\xBF\xBD"));
        QCOMPARE(stream.flush(), std::string());

        const auto bpe = bpeTokenizer("gpt-2", {});
        StreamingDecoder emoji(*bpe);
        std::string streamed;
        const auto emojiIds = bpe->encode("\xF0\x9F\x98\x80!", false, false);
        for (std::size_t i = 0; i < emojiIds.size(); ++i) {
            const std::string piece = emoji.push(emojiIds[i]);
            QCOMPARE(piece.empty(), i < 3);
            streamed += piece;
        }
        QCOMPARE(streamed, std::string("\xF0\x9F\x98\x80!"));
    }

    // --- Errors

    void errorsNameFileAndValue() {
        GgufBuilder unknownModel;
        unknownModel.kvString("tokenizer.ggml.model", "t5");
        addVocabulary(unknownModel, {{"a"}});
        const auto t5 = build(unknownModel);
        QVERIFY(!t5.tokenizer);
        QVERIFY2(t5.error.find("test.gguf") != std::string::npos, t5.error.c_str());
        QVERIFY2(t5.error.find("\"t5\"") != std::string::npos, t5.error.c_str());

        GgufBuilder noModel;
        addVocabulary(noModel, {{"a"}});
        QVERIFY(build(noModel).error.find("tokenizer.ggml.model") != std::string::npos);

        GgufBuilder noTokens;
        noTokens.kvString("tokenizer.ggml.model", "llama");
        QVERIFY(build(noTokens).error.find("tokenizer.ggml.tokens") != std::string::npos);

        GgufBuilder badScores;
        badScores.kvString("tokenizer.ggml.model", "llama")
            .kvStringArray("tokenizer.ggml.tokens", {"a", "b"})
            .kvF32Array("tokenizer.ggml.scores", {0.0f});
        QVERIFY(build(badScores).error.find("tokenizer.ggml.scores") != std::string::npos);

        GgufBuilder noMerges;
        noMerges.kvString("tokenizer.ggml.model", "gpt2");
        addVocabulary(noMerges, {{"a"}});
        QVERIFY(build(noMerges).error.find("tokenizer.ggml.merges") != std::string::npos);

        const auto badPre = bpeTokenizer("no-such-pre", {});
        QVERIFY2(badPre.error.find("\"no-such-pre\"") != std::string::npos, badPre.error.c_str());
        const auto badMerge = bpeTokenizer("gpt-2", {"nospace"});
        QVERIFY2(badMerge.error.find("merges[0]") != std::string::npos, badMerge.error.c_str());
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
