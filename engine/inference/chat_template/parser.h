// Recursive-descent parser from tokens to the syntax tree, following jinja2's grammar
// (operator precedence, filters and tests binding tighter than arithmetic, `for ... if ...`,
// `set` blocks, macros and call blocks). Unknown tags, filters and tests are rejected here.
#pragma once

#include <vector>

#include "inference/chat_template/ast.h"
#include "inference/chat_template/lexer.h"

namespace parley::chat_template {

// Throws TemplateError with the line and column of the problem.
Body parseTemplate(const std::vector<Token>& tokens);

}  // namespace parley::chat_template
