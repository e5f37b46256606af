// Syntax tree of a parsed template: expressions and statements, each with its source position
// so runtime errors can point at the offending line and column.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inference/chat_template/value.h"

namespace parley::chat_template {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        Literal,  // literal
        Name,     // name
        List,     // children: items
        Tuple,    // children: items
        Dict,     // children: key, value, key, value, ...
        Getattr,  // children[0] . name
        Getitem,  // children[0] [ children[1] ]
        Slice,    // children[0] [ children[1] : children[2] : children[3] ] (null = absent)
        Call,     // children[0] ( children[1..] , keywords )
        Filter,   // children[0] | name ( children[1..] , keywords ); children[0] null in blocks
        Test,     // children[0] is name ( children[1..] , keywords )
        Not,      // not children[0]
        Negate,   // - children[0]
        Plus,     // + children[0]
        Binary,   // children[0] op children[1]; op in + - * / // % **
        Concat,   // children joined with ~
        Compare,  // children[0] ops[0] children[1] ops[1] children[2] ...
        And,
        Or,
        Conditional,  // children[1] if children[0] else children[2] (null = undefined)
    };

    Kind kind = Kind::Literal;
    int line = 0;
    int column = 0;
    Value literal;
    std::string name;
    std::vector<ExprPtr> children;
    std::vector<std::pair<std::string, ExprPtr>> keywords;
    std::vector<std::string> ops;
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
    enum class Kind {
        Text,         // text
        Output,       // {{ expr }}
        If,           // if expr: body else elseBody (elif = nested If in elseBody)
        For,          // for target in expr [if condition]: body else elseBody
        Set,          // set target = expr (target: Name, Tuple of names or ns.attr Getattr)
        SetBlock,     // set target [| filter] ... endset; filter in expr (may be null)
        Macro,        // macro name(params = defaults): body
        CallBlock,    // call(params) expr: body, passed to the macro as `caller`
        FilterBlock,  // filter expr: body
        With,         // with targets = values: body
        Break,
        Continue,
        Scope,  // body rendered as is (transformers' {% generation %})
    };

    Kind kind = Kind::Text;
    int line = 0;
    int column = 0;
    std::string text;
    ExprPtr expr;
    ExprPtr target;
    ExprPtr condition;
    Body body;
    Body elseBody;
    std::string name;
    std::vector<std::string> params;
    std::vector<ExprPtr> defaults;  // for the last defaults.size() params
    std::vector<ExprPtr> targets;
    std::vector<ExprPtr> values;
};

}  // namespace parley::chat_template
