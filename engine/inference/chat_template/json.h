// JSON <-> Value. The reader turns a render context (and later tool-call arguments) into
// template values; the writer is transformers' `tojson` filter, i.e. Python's json.dumps with
// ensure_ascii=False and the key order kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "inference/chat_template/value.h"

namespace parley::chat_template {

// Strict JSON plus Python's NaN/Infinity literals. Errors name the byte offset.
Result<Value> parseJson(std::string_view json);

struct JsonStyle {
    std::optional<std::string> indent;  // nullopt: one line
    std::string itemSeparator = ", ";
    std::string keySeparator = ": ";
    bool ensureAscii = false;
    bool sortKeys = false;
};

// Throws TemplateError for values JSON cannot hold (undefined, callables, namespaces).
std::string toJson(const Value& value, const JsonStyle& style = {});

}  // namespace parley::chat_template
