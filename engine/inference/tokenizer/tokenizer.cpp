#include "inference/tokenizer/tokenizer.h"

#include <fstream>

#include "inference/tokenizer/bpe_tokenizer.h"
#include "inference/tokenizer/spm_tokenizer.h"
#include "inference/tokenizer/wordpiece_tokenizer.h"

namespace parley::tokenizer {

namespace {

// Defaults per model kind when the file leaves the key out (llama.cpp's).
constexpr SpecialDefaults kSpmDefaults{
    .bos = 1, .eos = 2, .unknown = 0, .addBos = true, .addSpacePrefix = true};
constexpr SpecialDefaults kBpeDefaults{.bos = 11, .eos = 11};
constexpr SpecialDefaults kWordPieceDefaults{.bos = 101,
                                             .unknown = 100,
                                             .separator = 102,
                                             .padding = 0,
                                             .addBos = true,
                                             .addSeparator = true};

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::fromGguf(const gguf::GgufFile& file) {
    constexpr std::string_view kModel = "tokenizer.ggml.model";
    const auto model = file.getString(kModel);
    if (!model)
        return makeError(file.name() + ": " + std::string(kModel) + ": missing");

    if (*model == "llama") {
        auto vocab = Vocabulary::fromGguf(file, kSpmDefaults);
        if (!vocab)
            return vocab.error();
        return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(vocab.value())));
    }
    if (*model == "gpt2") {
        const std::string_view preName = file.getString("tokenizer.ggml.pre").value_or("default");
        const auto spec = preTokenizerSpec(preName);
        if (!spec) {
            return makeError(file.name() + ": tokenizer.ggml.pre: unsupported pre-tokenizer \"" +
                             std::string(preName) + "\"");
        }
        SpecialDefaults defaults = kBpeDefaults;
        defaults.addBos = spec->addBos;
        auto vocab = Vocabulary::fromGguf(file, defaults);
        if (!vocab)
            return vocab.error();
        return BpeTokenizer::fromGguf(file, std::move(vocab.value()), *spec);
    }
    if (*model == "bert") {
        auto vocab = Vocabulary::fromGguf(file, kWordPieceDefaults);
        if (!vocab)
            return vocab.error();
        return std::unique_ptr<Tokenizer>(
            new WordPieceTokenizer(std::move(vocab.value()), WordPieceNormalization::Gguf));
    }
    return makeError(file.name() + ": " + std::string(kModel) + ": unsupported tokenizer model \"" +
                     std::string(*model) + "\" (supported: llama, gpt2, bert)");
}

Result<std::unique_ptr<Tokenizer>> wordPieceFromVocabFile(const std::filesystem::path& vocabTxt,
                                                          bool uncased) {
    std::ifstream in(vocabTxt, std::ios::binary);
    if (!in)
        return makeError(vocabTxt.string() + ": cannot open");
    // Convert to the GGUF "phantom space" form the WordPiece tokenizer works on.
    std::vector<std::string> texts;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.starts_with("##"))
            texts.push_back(line.substr(2));
        else if (line.size() >= 2 && line.front() == '[' && line.back() == ']')
            texts.push_back(line);
        else
            texts.push_back("\xE2\x96\x81" + line);
    }
    if (texts.empty())
        return makeError(vocabTxt.string() + ": empty vocabulary");

    Vocabulary vocab = Vocabulary::fromTexts(texts);
    const auto special = [&](std::string_view name) -> TokenId {
        const auto id = vocab.find(name);
        if (id)
            vocab.setType(*id, TokenType::Control);
        return id.value_or(-1);
    };
    vocab.bos = special("[CLS]");
    vocab.separator = special("[SEP]");
    vocab.unknown = special("[UNK]");
    vocab.padding = special("[PAD]");
    special("[MASK]");
    if (vocab.bos < 0 || vocab.separator < 0 || vocab.unknown < 0)
        return makeError(vocabTxt.string() + ": [CLS], [SEP] or [UNK] missing");
    vocab.addBos = true;
    vocab.addSeparator = true;
    return std::unique_ptr<Tokenizer>(
        new WordPieceTokenizer(std::move(vocab), uncased ? WordPieceNormalization::BertUncased
                                                         : WordPieceNormalization::BertCased));
}

}  // namespace parley::tokenizer
