// jinja2's built-in filters, tests and globals that chat templates use, transformers' additions
// (tojson without HTML escaping, raise_exception, strftime_now), and the Python str/dict/list
// methods templates call. Names not listed here are rejected when the template is parsed.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "inference/chat_template/value.h"

namespace parley::chat_template {

class Interpreter;

bool hasFilter(std::string_view name);
bool hasTest(std::string_view name);

// Both throw TemplateError on bad arguments.
Value applyFilter(Interpreter& interpreter, const std::string& name, const Value& input,
                  CallArgs& args);
bool applyTest(Interpreter& interpreter, const std::string& name, const Value& input,
               CallArgs& args);

// A bound str/dict/list method of `self`, or undefined when `self` has no such method.
Value lookupMethod(const Value& self, const std::string& name);

// range, namespace, dict, raise_exception, strftime_now. strftime_now reads the interpreter's
// clock, so it is bound per render.
void installGlobals(Dict& globals, const std::tm& now);

}  // namespace parley::chat_template
