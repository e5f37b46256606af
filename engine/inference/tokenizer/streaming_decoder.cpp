#include "inference/tokenizer/tokenizer.h"
#include "inference/tokenizer/unicode.h"

namespace parley::tokenizer {

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, bool renderSpecial)
    : tokenizer_(tokenizer), renderSpecial_(renderSpecial) {}

std::string StreamingDecoder::push(TokenId id) {
    std::string piece = tokenizer_.tokenBytes(id, renderSpecial_);
    if (first_ && tokenizer_.stripsLeadingSpace() && !piece.empty() && piece[0] == ' ')
        piece.erase(0, 1);
    first_ = first_ && piece.empty();
    pending_ += piece;
    std::string complete;
    pending_.erase(0, unicode::appendValidated(complete, pending_, true));
    return complete;
}

std::string StreamingDecoder::flush() {
    std::string rest;
    unicode::appendValidated(rest, pending_, false);
    pending_.clear();
    return rest;
}

}  // namespace parley::tokenizer
