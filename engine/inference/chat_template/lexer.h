// Splits a template into text and tag tokens exactly like jinja2's lexer with HF's settings:
// trim_blocks (drop the first newline after a block or comment tag), lstrip_blocks (drop the
// spaces before a block or comment tag that starts a line), `-`/`+` whitespace control, newlines
// normalised to \n and one trailing newline removed (keep_trailing_newline=False).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::chat_template {

enum class TokenType {
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
};

struct Token {
    TokenType type = TokenType::End;
    std::string text;  // data, name, decoded string literal or operator
    int64_t integer = 0;
    double number = 0.0;
    int line = 1;
    int column = 1;
};

// Throws TemplateError (with line and column) on malformed input.
std::vector<Token> tokenize(std::string_view source);

}  // namespace parley::chat_template
