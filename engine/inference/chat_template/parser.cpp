#include "inference/chat_template/parser.h"

#include <algorithm>
#include <initializer_list>

#include "inference/chat_template/builtins.h"

namespace parley::chat_template {
namespace {

// Deeper nesting than this is not a chat template; refusing it keeps the C++ stack safe.
constexpr int kMaxNesting = 128;

class Parser {
  public:
    explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

    Body document() {
        Body body = subparse({});
        if (cur().type != TokenType::End) {
            failAt(cur(), "unexpected '" + describe(cur()) + "'");
        }
        return body;
    }

  private:
    class DepthGuard {
      public:
        explicit DepthGuard(Parser& p) : p_(p) {
            if (++p_.depth_ > kMaxNesting) {
                p_.failAt(p_.cur(), "template nested too deeply");
            }
        }
        ~DepthGuard() { --p_.depth_; }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;

      private:
        Parser& p_;
    };

    const Token& cur() const { return t_[pos_]; }
    const Token& peek(size_t ahead = 1) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
    const Token& next() {
        const Token& tok = t_[pos_];
        if (pos_ + 1 < t_.size()) {
            ++pos_;
        }
        return tok;
    }

    [[noreturn]] void failAt(const Token& tok, const std::string& message) const {
        throw TemplateError(message, tok.line, tok.column);
    }

    static std::string describe(const Token& tok) {
        switch (tok.type) {
            case TokenType::Data:
                return "template data";
            case TokenType::VariableBegin:
                return "{{";
            case TokenType::VariableEnd:
                return "end of print statement";
            case TokenType::BlockBegin:
                return "{%";
            case TokenType::BlockEnd:
                return "end of statement block";
            case TokenType::End:
                return "end of template";
            case TokenType::String:
                return "string";
            default:
                return tok.text;
        }
    }

    bool isOp(std::string_view op) const {
        return cur().type == TokenType::Operator && cur().text == op;
    }
    bool isName(std::string_view name) const {
        return cur().type == TokenType::Name && cur().text == name;
    }
    bool skipOp(std::string_view op) {
        if (isOp(op)) {
            next();
            return true;
        }
        return false;
    }
    bool skipName(std::string_view name) {
        if (isName(name)) {
            next();
            return true;
        }
        return false;
    }
    void expectOp(std::string_view op) {
        if (!skipOp(op)) {
            failAt(cur(), "expected '" + std::string(op) + "', got '" + describe(cur()) + "'");
        }
    }
    std::string expectName() {
        if (cur().type != TokenType::Name) {
            failAt(cur(), "expected a name, got '" + describe(cur()) + "'");
        }
        return next().text;
    }
    void expectBlockEnd() {
        if (cur().type != TokenType::BlockEnd) {
            failAt(cur(), "expected end of statement block, got '" + describe(cur()) + "'");
        }
        next();
    }

    ExprPtr make(Expr::Kind kind, const Token& at) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->line = at.line;
        e->column = at.column;
        return e;
    }
    NodePtr makeNode(Node::Kind kind, const Token& at) {
        auto n = std::make_unique<Node>();
        n->kind = kind;
        n->line = at.line;
        n->column = at.column;
        return n;
    }

    // ---- template structure ----

    // Parses until a `{% name %}` with name in `endTags`, leaving the stream at that name.
    Body subparse(std::initializer_list<std::string_view> endTags) {
        DepthGuard guard(*this);
        Body body;
        while (true) {
            const Token& tok = cur();
            if (tok.type == TokenType::End) {
                if (endTags.size() != 0) {
                    std::string wanted;
                    for (std::string_view tag : endTags) {
                        wanted += (wanted.empty() ? "'" : " or '") + std::string(tag) + "'";
                    }
                    failAt(tok, "unexpected end of template, expected " + wanted);
                }
                return body;
            }
            if (tok.type == TokenType::Data) {
                auto n = makeNode(Node::Kind::Text, tok);
                n->text = tok.text;
                body.push_back(std::move(n));
                next();
            } else if (tok.type == TokenType::VariableBegin) {
                next();
                auto n = makeNode(Node::Kind::Output, tok);
                n->expr = parseTuple(true, {});
                if (cur().type != TokenType::VariableEnd) {
                    failAt(cur(), "expected end of print statement, got '" + describe(cur()) + "'");
                }
                next();
                body.push_back(std::move(n));
            } else if (tok.type == TokenType::BlockBegin) {
                next();
                if (cur().type == TokenType::Name &&
                    std::find(endTags.begin(), endTags.end(), cur().text) != endTags.end()) {
                    return body;
                }
                body.push_back(statement());
                expectBlockEnd();
            } else {
                failAt(tok, "unexpected '" + describe(tok) + "'");
            }
        }
    }

    // After a statement's header: `%}` then the body up to one of `endTags`.
    Body statements(std::initializer_list<std::string_view> endTags, bool dropNeedle) {
        expectBlockEnd();
        Body body = subparse(endTags);
        if (dropNeedle) {
            next();
        }
        return body;
    }

    NodePtr statement() {
        const Token& tok = cur();
        if (tok.type != TokenType::Name) {
            failAt(tok, "tag name expected");
        }
        const std::string& tag = tok.text;
        if (tag == "if") {
            return parseIf();
        }
        if (tag == "for") {
            return parseFor();
        }
        if (tag == "set") {
            return parseSet();
        }
        if (tag == "macro") {
            return parseMacro();
        }
        if (tag == "call") {
            return parseCallBlock();
        }
        if (tag == "filter") {
            next();
            auto n = makeNode(Node::Kind::FilterBlock, tok);
            n->expr = parseFilters(nullptr, true);
            n->body = statements({"endfilter"}, true);
            return n;
        }
        if (tag == "with") {
            return parseWith();
        }
        if (tag == "generation") {
            next();
            auto n = makeNode(Node::Kind::Scope, tok);
            n->body = statements({"endgeneration"}, true);
            return n;
        }
        if (tag == "break" || tag == "continue") {
            if (loopDepth_ == 0) {
                failAt(tok, "'" + tag + "' outside of a loop");
            }
            next();
            return makeNode(tag == "break" ? Node::Kind::Break : Node::Kind::Continue, tok);
        }
        failAt(tok, "unknown or unsupported tag '" + tag + "'");
    }

    NodePtr parseIf() {
        const Token& tok = next();
        auto root = makeNode(Node::Kind::If, tok);
        Node* node = root.get();
        while (true) {
            node->expr = parseTuple(false, {});
            node->body = statements({"elif", "else", "endif"}, false);
            const Token& end = next();
            if (end.text == "elif") {
                auto elif = makeNode(Node::Kind::If, end);
                Node* raw = elif.get();
                node->elseBody.push_back(std::move(elif));
                node = raw;
                continue;
            }
            if (end.text == "else") {
                node->elseBody = statements({"endif"}, true);
            }
            return root;
        }
    }

    NodePtr parseFor() {
        const Token& tok = next();
        auto n = makeNode(Node::Kind::For, tok);
        n->target = parseAssignTarget({"in"});
        if (!skipName("in")) {
            failAt(cur(), "expected 'in', got '" + describe(cur()) + "'");
        }
        n->expr = parseTuple(false, {"recursive"});
        if (skipName("if")) {
            n->condition = parseExpression(true);
        }
        if (isName("recursive")) {
            failAt(cur(), "recursive loops are not supported");
        }
        ++loopDepth_;
        n->body = statements({"endfor", "else"}, false);
        --loopDepth_;
        if (next().text == "else") {
            n->elseBody = statements({"endfor"}, true);
        }
        return n;
    }

    NodePtr parseSet() {
        const Token& tok = next();
        ExprPtr target;
        if (cur().type == TokenType::Name && peek().type == TokenType::Operator &&
            peek().text == ".") {
            target = make(Expr::Kind::Getattr, cur());
            auto ns = make(Expr::Kind::Name, cur());
            ns->name = next().text;
            next();
            target->name = expectName();
            target->children.push_back(std::move(ns));
        } else {
            target = parseAssignTarget({});
        }
        if (skipOp("=")) {
            auto n = makeNode(Node::Kind::Set, tok);
            n->target = std::move(target);
            n->expr = parseTuple(true, {});
            return n;
        }
        auto n = makeNode(Node::Kind::SetBlock, tok);
        n->target = std::move(target);
        if (isOp("|")) {
            n->expr = parseFilters(nullptr, false);
        }
        n->body = statements({"endset"}, true);
        return n;
    }

    void parseSignature(Node& n) {
        expectOp("(");
        while (!isOp(")")) {
            if (!n.params.empty()) {
                expectOp(",");
            }
            n.params.push_back(expectName());
            if (skipOp("=")) {
                n.defaults.push_back(parseExpression(true));
            } else if (!n.defaults.empty()) {
                failAt(cur(), "non-default argument follows default argument");
            }
        }
        expectOp(")");
    }

    NodePtr parseMacro() {
        const Token& tok = next();
        auto n = makeNode(Node::Kind::Macro, tok);
        n->name = expectName();
        parseSignature(*n);
        const int savedLoops = loopDepth_;
        loopDepth_ = 0;
        n->body = statements({"endmacro"}, true);
        loopDepth_ = savedLoops;
        return n;
    }

    NodePtr parseCallBlock() {
        const Token& tok = next();
        auto n = makeNode(Node::Kind::CallBlock, tok);
        if (isOp("(")) {
            parseSignature(*n);
        }
        n->expr = parseExpression(true);
        if (n->expr->kind != Expr::Kind::Call) {
            failAt(tok, "expected a call after 'call'");
        }
        const int savedLoops = loopDepth_;
        loopDepth_ = 0;
        n->body = statements({"endcall"}, true);
        loopDepth_ = savedLoops;
        return n;
    }

    NodePtr parseWith() {
        const Token& tok = next();
        auto n = makeNode(Node::Kind::With, tok);
        while (cur().type != TokenType::BlockEnd) {
            if (!n->targets.empty()) {
                expectOp(",");
            }
            n->targets.push_back(parseAssignTarget({}));
            expectOp("=");
            n->values.push_back(parseExpression(true));
        }
        n->body = statements({"endwith"}, true);
        return n;
    }

    // A name or a (possibly parenthesised, possibly nested) tuple of names.
    ExprPtr parseAssignTarget(std::initializer_list<std::string_view> extraEnd) {
        ExprPtr target = parseTuple(false, extraEnd, true);
        checkAssignable(*target);
        return target;
    }

    void checkAssignable(const Expr& e) {
        if (e.kind == Expr::Kind::Name) {
            if (e.name == "true" || e.name == "false" || e.name == "none" || e.name == "True" ||
                e.name == "False" || e.name == "None") {
                throw TemplateError("can't assign to '" + e.name + "'", e.line, e.column);
            }
            return;
        }
        if (e.kind == Expr::Kind::Tuple) {
            for (const auto& c : e.children) {
                checkAssignable(*c);
            }
            return;
        }
        throw TemplateError("can't assign to this expression", e.line, e.column);
    }

    // ---- expressions ----

    bool isTupleEnd(std::initializer_list<std::string_view> extraEnd) const {
        const Token& tok = cur();
        if (tok.type == TokenType::VariableEnd || tok.type == TokenType::BlockEnd ||
            (tok.type == TokenType::Operator && tok.text == ")")) {
            return true;
        }
        return tok.type == TokenType::Name &&
               std::find(extraEnd.begin(), extraEnd.end(), tok.text) != extraEnd.end();
    }

    ExprPtr parseTuple(bool withCondition, std::initializer_list<std::string_view> extraEnd,
                       bool simplified = false, bool explicitParens = false) {
        const Token& start = cur();
        std::vector<ExprPtr> items;
        bool isTuple = false;
        while (true) {
            if (!items.empty()) {
                expectOp(",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            if (simplified) {
                items.push_back(parsePrimary());
            } else {
                items.push_back(parseExpression(withCondition));
            }
            if (isOp(",")) {
                isTuple = true;
            } else {
                break;
            }
        }
        if (!isTuple) {
            if (!items.empty()) {
                return std::move(items[0]);
            }
            if (!explicitParens) {
                failAt(cur(), "expected an expression, got '" + describe(cur()) + "'");
            }
        }
        auto tuple = make(Expr::Kind::Tuple, start);
        tuple->children = std::move(items);
        return tuple;
    }

    ExprPtr parseExpression(bool withCondition) {
        DepthGuard guard(*this);
        return withCondition ? parseConditional() : parseOr();
    }

    ExprPtr parseConditional() {
        ExprPtr expr = parseOr();
        while (isName("if")) {
            const Token& tok = next();
            auto cond = make(Expr::Kind::Conditional, tok);
            cond->children.push_back(parseOr());
            cond->children.push_back(std::move(expr));
            cond->children.push_back(skipName("else") ? parseConditional() : nullptr);
            expr = std::move(cond);
        }
        return expr;
    }

    ExprPtr parseOr() {
        ExprPtr left = parseAnd();
        while (isName("or")) {
            auto e = make(Expr::Kind::Or, next());
            e->children.push_back(std::move(left));
            e->children.push_back(parseAnd());
            left = std::move(e);
        }
        return left;
    }

    ExprPtr parseAnd() {
        ExprPtr left = parseNot();
        while (isName("and")) {
            auto e = make(Expr::Kind::And, next());
            e->children.push_back(std::move(left));
            e->children.push_back(parseNot());
            left = std::move(e);
        }
        return left;
    }

    ExprPtr parseNot() {
        if (isName("not")) {
            DepthGuard guard(*this);
            auto e = make(Expr::Kind::Not, next());
            e->children.push_back(parseNot());
            return e;
        }
        return parseCompare();
    }

    ExprPtr parseCompare() {
        const Token& start = cur();
        ExprPtr first = parseMath1();
        std::vector<std::string> ops;
        std::vector<ExprPtr> operands;
        while (true) {
            if (cur().type == TokenType::Operator &&
                (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                 cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
                ops.push_back(next().text);
            } else if (skipName("in")) {
                ops.push_back("in");
            } else if (isName("not") && peek().type == TokenType::Name && peek().text == "in") {
                next();
                next();
                ops.push_back("not in");
            } else {
                break;
            }
            operands.push_back(parseMath1());
        }
        if (ops.empty()) {
            return first;
        }
        auto e = make(Expr::Kind::Compare, start);
        e->children.push_back(std::move(first));
        for (auto& operand : operands) {
            e->children.push_back(std::move(operand));
        }
        e->ops = std::move(ops);
        return e;
    }

    ExprPtr binary(ExprPtr left, const Token& op, ExprPtr right) {
        auto e = make(Expr::Kind::Binary, op);
        e->name = op.text;
        e->children.push_back(std::move(left));
        e->children.push_back(std::move(right));
        return e;
    }

    ExprPtr parseMath1() {
        ExprPtr left = parseConcat();
        while (isOp("+") || isOp("-")) {
            const Token& op = next();
            left = binary(std::move(left), op, parseConcat());
        }
        return left;
    }

    ExprPtr parseConcat() {
        const Token& start = cur();
        ExprPtr first = parseMath2();
        if (!isOp("~")) {
            return first;
        }
        auto e = make(Expr::Kind::Concat, start);
        e->children.push_back(std::move(first));
        while (skipOp("~")) {
            e->children.push_back(parseMath2());
        }
        return e;
    }

    ExprPtr parseMath2() {
        ExprPtr left = parsePow();
        while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
            const Token& op = next();
            left = binary(std::move(left), op, parsePow());
        }
        return left;
    }

    ExprPtr parsePow() {
        ExprPtr left = parseUnary(true);
        while (isOp("**")) {
            const Token& op = next();
            left = binary(std::move(left), op, parseUnary(true));
        }
        return left;
    }

    ExprPtr parseUnary(bool withFilter) {
        DepthGuard guard(*this);
        ExprPtr node;
        if (isOp("-") || isOp("+")) {
            const Token& op = next();
            node = make(op.text == "-" ? Expr::Kind::Negate : Expr::Kind::Plus, op);
            node->children.push_back(parseUnary(false));
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(std::move(node));
        if (withFilter) {
            node = parseFilterExpr(std::move(node));
        }
        return node;
    }

    ExprPtr parsePrimary() {
        DepthGuard guard(*this);
        const Token& tok = cur();
        if (tok.type == TokenType::Name) {
            next();
            auto e = make(Expr::Kind::Literal, tok);
            if (tok.text == "true" || tok.text == "True") {
                e->literal = Value(true);
            } else if (tok.text == "false" || tok.text == "False") {
                e->literal = Value(false);
            } else if (tok.text == "none" || tok.text == "None") {
                e->literal = Value(nullptr);
            } else {
                e->kind = Expr::Kind::Name;
                e->name = tok.text;
            }
            return e;
        }
        if (tok.type == TokenType::String) {
            auto e = make(Expr::Kind::Literal, tok);
            std::string joined;
            while (cur().type == TokenType::String) {
                joined += next().text;
            }
            e->literal = Value(std::move(joined));
            return e;
        }
        if (tok.type == TokenType::Integer || tok.type == TokenType::Float) {
            next();
            auto e = make(Expr::Kind::Literal, tok);
            e->literal = tok.type == TokenType::Integer ? Value(tok.integer) : Value(tok.number);
            return e;
        }
        if (isOp("(")) {
            next();
            ExprPtr inner = parseTuple(true, {}, false, true);
            expectOp(")");
            return inner;
        }
        if (isOp("[")) {
            auto e = make(Expr::Kind::List, next());
            while (!isOp("]")) {
                if (!e->children.empty()) {
                    expectOp(",");
                }
                if (isOp("]")) {
                    break;
                }
                e->children.push_back(parseExpression(true));
            }
            expectOp("]");
            return e;
        }
        if (isOp("{")) {
            auto e = make(Expr::Kind::Dict, next());
            while (!isOp("}")) {
                if (!e->children.empty()) {
                    expectOp(",");
                }
                if (isOp("}")) {
                    break;
                }
                e->children.push_back(parseExpression(true));
                expectOp(":");
                e->children.push_back(parseExpression(true));
            }
            expectOp("}");
            return e;
        }
        failAt(tok, "unexpected '" + describe(tok) + "'");
    }

    ExprPtr parsePostfix(ExprPtr node) {
        while (true) {
            if (isOp(".")) {
                const Token& dot = next();
                const Token& attr = cur();
                if (attr.type == TokenType::Name) {
                    next();
                    auto e = make(Expr::Kind::Getattr, dot);
                    e->name = attr.text;
                    e->children.push_back(std::move(node));
                    node = std::move(e);
                } else if (attr.type == TokenType::Integer) {
                    next();
                    auto e = make(Expr::Kind::Getitem, dot);
                    auto index = make(Expr::Kind::Literal, attr);
                    index->literal = Value(attr.integer);
                    e->children.push_back(std::move(node));
                    e->children.push_back(std::move(index));
                    node = std::move(e);
                } else {
                    failAt(attr, "expected name or number");
                }
            } else if (isOp("[")) {
                node = parseSubscript(std::move(node));
            } else if (isOp("(")) {
                node = parseCall(std::move(node));
            } else {
                return node;
            }
        }
    }

    ExprPtr parseSubscript(ExprPtr node) {
        next();
        ExprPtr result = parseSubscribed(std::move(node));
        if (isOp(",")) {
            failAt(cur(), "tuple subscripts are not supported");
        }
        expectOp("]");
        return result;
    }

    // `node[expr]` or `node[a:b:c]`; `node` is consumed into the result.
    ExprPtr parseSubscribed(ExprPtr node) {
        const Token& start = cur();
        ExprPtr first;
        if (!isOp(":")) {
            first = parseExpression(true);
            if (!isOp(":")) {
                auto e = make(Expr::Kind::Getitem, start);
                e->children.push_back(std::move(node));
                e->children.push_back(std::move(first));
                return e;
            }
        }
        next();
        auto e = make(Expr::Kind::Slice, start);
        e->children.push_back(std::move(node));
        e->children.push_back(std::move(first));
        e->children.push_back(isOp(":") || isOp("]") || isOp(",") ? nullptr
                                                                  : parseExpression(true));
        ExprPtr step;
        if (skipOp(":")) {
            if (!isOp("]") && !isOp(",")) {
                step = parseExpression(true);
            }
        }
        e->children.push_back(std::move(step));
        return e;
    }

    void parseCallArgs(Expr& call) {
        expectOp("(");
        bool needComma = false;
        while (!isOp(")")) {
            if (needComma) {
                expectOp(",");
                if (isOp(")")) {
                    break;
                }
            }
            if (isOp("*") || isOp("**")) {
                failAt(cur(), "*args and **kwargs in calls are not supported");
            }
            if (cur().type == TokenType::Name && peek().type == TokenType::Operator &&
                peek().text == "=") {
                std::string key = next().text;
                next();
                call.keywords.emplace_back(std::move(key), parseExpression(true));
            } else {
                if (!call.keywords.empty()) {
                    failAt(cur(), "positional argument follows keyword argument");
                }
                call.children.push_back(parseExpression(true));
            }
            needComma = true;
        }
        expectOp(")");
    }

    ExprPtr parseCall(ExprPtr callee) {
        auto e = make(Expr::Kind::Call, cur());
        e->line = callee->line;
        e->column = callee->column;
        e->children.push_back(std::move(callee));
        parseCallArgs(*e);
        return e;
    }

    ExprPtr parseFilterExpr(ExprPtr node) {
        while (true) {
            if (isOp("|")) {
                node = parseFilters(std::move(node), false);
            } else if (isName("is")) {
                node = parseTest(std::move(node));
            } else if (isOp("(")) {
                node = parseCall(std::move(node));
            } else {
                return node;
            }
        }
    }

    ExprPtr parseFilters(ExprPtr node, bool startInline) {
        while (isOp("|") || startInline) {
            if (!startInline) {
                next();
            }
            startInline = false;
            const Token& nameTok = cur();
            std::string name = expectName();
            if (!hasFilter(name)) {
                failAt(nameTok, "unknown filter '" + name + "'");
            }
            auto e = make(Expr::Kind::Filter, nameTok);
            e->name = std::move(name);
            e->children.push_back(std::move(node));
            if (isOp("(")) {
                parseCallArgs(*e);
            }
            node = std::move(e);
        }
        return node;
    }

    ExprPtr parseTest(ExprPtr node) {
        const Token& isTok = next();
        const bool negated = skipName("not");
        const Token& nameTok = cur();
        std::string name = expectName();
        if (!hasTest(name)) {
            failAt(nameTok, "unknown test '" + name + "'");
        }
        auto e = make(Expr::Kind::Test, isTok);
        e->name = std::move(name);
        e->children.push_back(std::move(node));
        if (isOp("(")) {
            parseCallArgs(*e);
        } else if ((cur().type == TokenType::Name || cur().type == TokenType::String ||
                    cur().type == TokenType::Integer || cur().type == TokenType::Float ||
                    isOp("(") || isOp("[") || isOp("{")) &&
                   !isName("else") && !isName("or") && !isName("and")) {
            if (isName("is")) {
                failAt(cur(), "You cannot chain multiple tests with is");
            }
            e->children.push_back(parsePostfix(parsePrimary()));
        }
        if (!negated) {
            return e;
        }
        auto notExpr = make(Expr::Kind::Not, isTok);
        notExpr->children.push_back(std::move(e));
        return notExpr;
    }

    const std::vector<Token>& t_;
    size_t pos_ = 0;
    int depth_ = 0;
    int loopDepth_ = 0;
};

}  // namespace

Body parseTemplate(const std::vector<Token>& tokens) {
    return Parser(tokens).document();
}

}  // namespace parley::chat_template
