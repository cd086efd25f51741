// Lexing (with jinja2's whitespace rules as transformers sets them: trim_blocks and
// lstrip_blocks on) and parsing of templates into jinja_ast.hpp.
#include <algorithm>
#include <cctype>
#include <set>

#include "engine/jinja_ast.hpp"
#include "engine/jinja_template.hpp"

namespace sl::engine::jinja {
namespace {

struct Tag {
  enum class Kind { text, output, block } kind;
  std::string content;
  int line;
};

Error syntax(int line, const std::string& what) {
  return make_error(ErrorCode::invalid_request, "chat template line " + std::to_string(line) + ": " + what);
}

Result<std::vector<Tag>> lex(std::string_view s) {
  std::vector<Tag> tags;
  std::size_t pos = 0;
  bool strip_next = false;  // a previous tag ended with '-'
  bool trim_newline = false;  // trim_blocks after a block or comment
  auto line_of = [&](std::size_t at) { return 1 + static_cast<int>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(at), '\n')); };
  while (pos <= s.size()) {
    std::size_t start = pos;
    while (true) {
      start = s.find('{', start);
      if (start == std::string_view::npos || start + 1 >= s.size()) {
        start = std::string_view::npos;
        break;
      }
      const char c = s[start + 1];
      if (c == '{' || c == '%' || c == '#') break;
      ++start;
    }
    std::string text(s.substr(pos, start == std::string_view::npos ? std::string_view::npos : start - pos));
    bool at_line_start = pos == 0 || s[pos - 1] == '\n';
    if (trim_newline) {
      if (text.rfind("\r\n", 0) == 0) {
        text.erase(0, 2);
        at_line_start = true;
      } else if (!text.empty() && text[0] == '\n') {
        text.erase(0, 1);
        at_line_start = true;
      }
    }
    if (strip_next) {
      std::size_t k = 0;
      while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      text.erase(0, k);
    }
    strip_next = trim_newline = false;
    if (start == std::string_view::npos) {
      if (!text.empty()) tags.push_back({Tag::Kind::text, text, line_of(pos)});
      break;
    }
    const char kind = s[start + 1];
    std::size_t inner = start + 2;
    if (inner < s.size() && s[inner] == '-') {
      std::size_t k = text.size();
      while (k > 0 && std::isspace(static_cast<unsigned char>(text[k - 1]))) --k;
      text.erase(k);
      ++inner;
    } else if (inner < s.size() && s[inner] == '+') {
      ++inner;  // lstrip_blocks disabled for this tag
    } else if (kind != '{') {
      // lstrip_blocks: drop spaces and tabs between the line start and a block or comment.
      const std::size_t nl = text.rfind('\n');
      const std::size_t tail = nl == std::string::npos ? 0 : nl + 1;
      if (nl != std::string::npos || at_line_start) {
        bool blank = true;
        for (std::size_t k = tail; k < text.size(); ++k)
          if (text[k] != ' ' && text[k] != '\t') blank = false;
        if (blank) text.erase(tail);
      }
    }
    if (!text.empty()) tags.push_back({Tag::Kind::text, text, line_of(pos)});
    // Find the closing delimiter, skipping string literals.
    const std::string closer = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    std::size_t end = inner;
    char quote = 0;
    while (end < s.size()) {
      const char c = s[end];
      if (kind != '#' && quote) {
        if (c == '\\') ++end;
        else if (c == quote) quote = 0;
      } else if (kind != '#' && (c == '\'' || c == '"')) {
        quote = c;
      } else if (s.compare(end, 2, closer) == 0) {
        break;
      }
      ++end;
    }
    if (end >= s.size()) return syntax(line_of(start), "unclosed tag");
    std::size_t content_end = end;
    if (content_end > inner && s[content_end - 1] == '-') {
      strip_next = true;
      --content_end;
    }
    if (kind != '{' && !strip_next) trim_newline = true;
    if (kind != '#')
      tags.push_back({kind == '{' ? Tag::Kind::output : Tag::Kind::block,
                      std::string(s.substr(inner, content_end - inner)), line_of(start)});
    pos = end + 2;
    if (pos == s.size()) break;
  }
  return tags;
}

// ---- expression tokens ----
struct Tok {
  enum class Kind { name, number, string, op, end } kind;
  std::string text;
  Value value;
};

Result<std::vector<Tok>> tokenize(const std::string& s, int line) {
  std::vector<Tok> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Tok::Kind::name, s.substr(i, j - i), {}});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      bool is_float = false;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              (s[j] == '.' && !is_float && j + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[j + 1]))))) {
        if (s[j] == '.') is_float = true;
        ++j;
      }
      std::string digits;
      for (std::size_t k = i; k < j; ++k)
        if (s[k] != '_') digits.push_back(s[k]);
      Tok t{Tok::Kind::number, digits, {}};
      t.value = is_float ? Value(std::stod(digits)) : Value(static_cast<std::int64_t>(std::stoll(digits)));
      out.push_back(std::move(t));
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string v;
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != c; ++j) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          const char e = s[++j];
          switch (e) {
            case 'n': v.push_back('\n'); break;
            case 't': v.push_back('\t'); break;
            case 'r': v.push_back('\r'); break;
            case '\\': v.push_back('\\'); break;
            case '\'': v.push_back('\''); break;
            case '"': v.push_back('"'); break;
            default: v.push_back('\\'); v.push_back(e);
          }
        } else {
          v.push_back(s[j]);
        }
      }
      if (j >= s.size()) return syntax(line, "unterminated string");
      out.push_back({Tok::Kind::string, "", Value(std::move(v))});
      i = j + 1;
    } else {
      static const char* two[] = {"==", "!=", "<=", ">=", "//", "**"};
      std::string op(1, c);
      for (const char* t : two)
        if (s.compare(i, 2, t) == 0) op = t;
      if (std::string("+-*/%~<>=!.,:|()[]{}").find(c) == std::string::npos)
        return syntax(line, std::string("unexpected character '") + c + "'");
      out.push_back({Tok::Kind::op, op, {}});
      i += op.size();
    }
  }
  out.push_back({Tok::Kind::end, "", {}});
  return out;
}

class ExprParser {
 public:
  ExprParser(std::vector<Tok> toks, int line) : t_(std::move(toks)), line_(line) {}

  Result<ExprPtr> expression() {
    try {
      return parse_ternary();
    } catch (const Error& e) {  // parse errors unwind inside this class only
      return e;
    }
  }
  bool at_end() const { return t_[i_].kind == Tok::Kind::end; }
  bool peek_name(std::string_view n) const { return t_[i_].kind == Tok::Kind::name && t_[i_].text == n; }
  bool peek_op(std::string_view o) const { return t_[i_].kind == Tok::Kind::op && t_[i_].text == o; }
  std::string take_name() {
    if (t_[i_].kind != Tok::Kind::name) throw syntax(line_, "expected a name");
    return t_[i_++].text;
  }
  void expect_op(std::string_view o) {
    if (!peek_op(o)) throw syntax(line_, "expected '" + std::string(o) + "'");
    ++i_;
  }
  void expect_name(std::string_view n) {
    if (!peek_name(n)) throw syntax(line_, "expected '" + std::string(n) + "'");
    ++i_;
  }
  ExprPtr parse_ternary() {
    ExprPtr e = parse_or();
    if (peek_name("if")) {
      ++i_;
      auto t = std::make_unique<Expr>();
      t->kind = Expr::Kind::ternary;
      t->b = parse_or();
      if (peek_name("else")) {
        ++i_;
        t->c = parse_ternary();
      }
      t->a = std::move(e);
      return t;
    }
    return e;
  }
  ExprPtr parse_or_public() { return parse_or(); }

 private:
  ExprPtr node(Expr::Kind k) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    return e;
  }
  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (peek_name("or")) {
      ++i_;
      auto n = node(Expr::Kind::or_);
      n->a = std::move(e);
      n->b = parse_and();
      e = std::move(n);
    }
    return e;
  }
  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (peek_name("and")) {
      ++i_;
      auto n = node(Expr::Kind::and_);
      n->a = std::move(e);
      n->b = parse_not();
      e = std::move(n);
    }
    return e;
  }
  ExprPtr parse_not() {
    if (peek_name("not")) {
      ++i_;
      auto n = node(Expr::Kind::not_);
      n->a = parse_not();
      return n;
    }
    return parse_compare();
  }
  ExprPtr parse_compare() {
    ExprPtr e = parse_binary(0);
    while (true) {
      std::string op;
      if (peek_op("==") || peek_op("!=") || peek_op("<") || peek_op(">") || peek_op("<=") || peek_op(">=")) {
        op = t_[i_++].text;
      } else if (peek_name("in")) {
        ++i_;
        op = "in";
      } else if (peek_name("not") && t_[i_ + 1].kind == Tok::Kind::name && t_[i_ + 1].text == "in") {
        i_ += 2;
        op = "not in";
      } else {
        return e;
      }
      auto n = node(Expr::Kind::binary);
      n->name = op;
      n->a = std::move(e);
      n->b = parse_binary(0);
      e = std::move(n);
    }
  }
  // Levels: 0 (+ -), 1 (~), 2 (* / // %), 3 (**).
  ExprPtr parse_binary(int level) {
    static const std::vector<std::vector<std::string>> ops = {{"+", "-"}, {"~"}, {"*", "/", "//", "%"}, {"**"}};
    if (level == 4) return parse_unary();
    ExprPtr e = parse_binary(level + 1);
    while (true) {
      std::string op;
      for (const std::string& o : ops[static_cast<std::size_t>(level)])
        if (peek_op(o)) op = o;
      if (op.empty()) return e;
      ++i_;
      auto n = node(Expr::Kind::binary);
      n->name = op;
      n->a = std::move(e);
      n->b = parse_binary(level + 1);
      e = std::move(n);
    }
  }
  ExprPtr parse_unary() {
    if (peek_op("-") || peek_op("+")) {
      auto n = node(Expr::Kind::unary);
      n->name = t_[i_++].text;
      n->a = parse_unary();
      return n;
    }
    return parse_filters(parse_postfix(parse_primary()));
  }
  std::vector<ExprPtr> call_args(std::vector<std::pair<std::string, ExprPtr>>& kwargs) {
    std::vector<ExprPtr> args;
    expect_op("(");
    while (!peek_op(")")) {
      if (t_[i_].kind == Tok::Kind::name && t_[i_ + 1].kind == Tok::Kind::op && t_[i_ + 1].text == "=") {
        std::string key = t_[i_].text;
        i_ += 2;
        kwargs.emplace_back(key, parse_ternary());
      } else {
        args.push_back(parse_ternary());
      }
      if (!peek_op(",")) break;
      ++i_;
    }
    expect_op(")");
    return args;
  }
  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (peek_op(".")) {
        ++i_;
        auto n = node(Expr::Kind::attr);
        n->name = take_name();
        n->a = std::move(e);
        e = std::move(n);
      } else if (peek_op("[")) {
        ++i_;
        ExprPtr parts[3];
        int colons = 0;
        while (!peek_op("]")) {
          if (peek_op(":")) {
            ++i_;
            if (++colons > 2) throw syntax(line_, "bad slice");
            continue;
          }
          parts[colons] = parse_ternary();
        }
        expect_op("]");
        auto n = node(colons ? Expr::Kind::slice : Expr::Kind::item);
        n->a = std::move(e);
        n->b = std::move(parts[0]);
        if (colons) {
          n->args.push_back(std::move(parts[1]));
          n->c = std::move(parts[2]);
        }
        e = std::move(n);
      } else if (peek_op("(")) {
        auto n = node(Expr::Kind::call);
        n->args = call_args(n->kwargs);
        n->a = std::move(e);
        e = std::move(n);
      } else {
        return e;
      }
    }
  }
  ExprPtr parse_filters(ExprPtr e) {
    while (true) {
      if (peek_op("|")) {
        ++i_;
        auto n = node(Expr::Kind::filter);
        n->name = take_name();
        if (peek_op("(")) n->args = call_args(n->kwargs);
        n->a = std::move(e);
        e = std::move(n);
      } else if (peek_name("is")) {
        ++i_;
        auto n = node(Expr::Kind::test);
        if (peek_name("not")) {
          ++i_;
          n->negated = true;
        }
        n->name = take_name();
        if (peek_op("(")) {
          n->args = call_args(n->kwargs);
        } else if (t_[i_].kind == Tok::Kind::string || t_[i_].kind == Tok::Kind::number ||
                   (t_[i_].kind == Tok::Kind::name && !peek_name("and") && !peek_name("or") &&
                    !peek_name("else") && !peek_name("if") && !peek_name("in") && !peek_name("not"))) {
          n->args.push_back(parse_primary());  // `is divisibleby 3`, `is sameas x`
        }
        n->a = std::move(e);
        e = std::move(n);
      } else {
        return e;
      }
    }
  }
  ExprPtr parse_primary() {
    const Tok& t = t_[i_];
    if (t.kind == Tok::Kind::number || t.kind == Tok::Kind::string) {
      auto n = node(Expr::Kind::literal);
      n->value = t.value;
      ++i_;
      // Adjacent string literals concatenate, as in Python.
      while (n->value.is_string() && t_[i_].kind == Tok::Kind::string) n->value = n->value.str() + t_[i_++].value.str();
      return n;
    }
    if (t.kind == Tok::Kind::name) {
      ++i_;
      auto n = node(Expr::Kind::literal);
      if (t.text == "true" || t.text == "True") n->value = true;
      else if (t.text == "false" || t.text == "False") n->value = false;
      else if (t.text == "none" || t.text == "None") n->value = None{};
      else {
        n->kind = Expr::Kind::name;
        n->name = t.text;
      }
      return n;
    }
    if (peek_op("(")) {
      ++i_;
      ExprPtr e = parse_ternary();
      if (peek_op(",")) {  // a tuple: treated as a list
        auto l = node(Expr::Kind::list);
        l->args.push_back(std::move(e));
        while (peek_op(",")) {
          ++i_;
          if (peek_op(")")) break;
          l->args.push_back(parse_ternary());
        }
        e = std::move(l);
      }
      expect_op(")");
      return e;
    }
    if (peek_op("[")) {
      ++i_;
      auto l = node(Expr::Kind::list);
      while (!peek_op("]")) {
        l->args.push_back(parse_ternary());
        if (!peek_op(",")) break;
        ++i_;
      }
      expect_op("]");
      return l;
    }
    if (peek_op("{")) {
      ++i_;
      auto d = node(Expr::Kind::dict);
      while (!peek_op("}")) {
        d->args.push_back(parse_ternary());
        expect_op(":");
        d->kwargs.emplace_back("", parse_ternary());
        if (!peek_op(",")) break;
        ++i_;
      }
      expect_op("}");
      return d;
    }
    throw syntax(line_, "unexpected '" + t.text + "'");
  }

  std::vector<Tok> t_;
  std::size_t i_ = 0;
  int line_;
};

class Parser {
 public:
  explicit Parser(std::vector<Tag> tags) : tags_(std::move(tags)) {}

  Result<Body> parse_all() {
    try {
      std::string end;
      Body body = parse_body({}, end);
      return body;
    } catch (const Error& e) {
      return e;
    }
  }

 private:
  static std::string keyword(const std::string& content) {
    std::size_t i = 0;
    while (i < content.size() && std::isspace(static_cast<unsigned char>(content[i]))) ++i;
    std::size_t j = i;
    while (j < content.size() && (std::isalnum(static_cast<unsigned char>(content[j])) || content[j] == '_')) ++j;
    return content.substr(i, j - i);
  }
  ExprParser expr_tokens(const Tag& tag, bool skip_keyword) {
    auto toks = tokenize(tag.content, tag.line);
    if (!toks.ok()) throw toks.error();
    std::vector<Tok> t = std::move(*toks);
    if (skip_keyword) t.erase(t.begin());
    return ExprParser(std::move(t), tag.line);
  }
  static ExprPtr full_expression(ExprParser& p, int line) {
    auto e = p.expression();
    if (!e.ok()) throw e.error();
    if (!p.at_end()) throw syntax(line, "unexpected tokens after the expression");
    return std::move(*e);
  }

  // Parses tags until one whose keyword is in `ends`; its keyword goes to `end`.
  Body parse_body(const std::set<std::string>& ends, std::string& end) {
    Body body;
    while (i_ < tags_.size()) {
      const Tag& tag = tags_[i_++];
      if (tag.kind == Tag::Kind::text) {
        auto n = std::make_unique<Node>();
        n->kind = Node::Kind::text;
        n->text = tag.content;
        body.push_back(std::move(n));
        continue;
      }
      if (tag.kind == Tag::Kind::output) {
        ExprParser p = expr_tokens(tag, false);
        auto n = std::make_unique<Node>();
        n->kind = Node::Kind::output;
        n->expr = full_expression(p, tag.line);
        body.push_back(std::move(n));
        continue;
      }
      const std::string kw = keyword(tag.content);
      if (ends.count(kw)) {
        end = kw;
        --i_;  // the caller reads the tag again (elif needs its condition)
        return body;
      }
      auto n = std::make_unique<Node>();
      n->line = tag.line;
      if (kw == "if") {
        n->kind = Node::Kind::if_;
        ExprParser p = expr_tokens(tag, true);
        ExprPtr cond = full_expression(p, tag.line);
        while (true) {
          std::string stop;
          Body branch = parse_body({"elif", "else", "endif"}, stop);
          n->branches.emplace_back(std::move(cond), std::move(branch));
          if (stop.empty()) throw syntax(tag.line, "missing endif");
          const Tag& next = tags_[i_++];
          if (stop == "endif") break;
          if (stop == "elif") {
            ExprParser q = expr_tokens(next, true);
            cond = full_expression(q, next.line);
          } else {
            cond = nullptr;
            std::string last;
            Body else_body = parse_body({"endif"}, last);
            if (last.empty()) throw syntax(tag.line, "missing endif");
            ++i_;
            n->branches.emplace_back(nullptr, std::move(else_body));
            break;
          }
        }
      } else if (kw == "for") {
        n->kind = Node::Kind::for_;
        ExprParser p = expr_tokens(tag, true);
        n->targets.push_back(p.take_name());
        while (p.peek_op(",")) {
          p.expect_op(",");
          n->targets.push_back(p.take_name());
        }
        p.expect_name("in");
        n->expr = p.parse_or_public();
        if (p.peek_name("if")) {
          p.expect_name("if");
          n->filter = p.parse_or_public();
        }
        if (p.peek_name("recursive")) throw syntax(tag.line, "recursive loops are not supported");
        if (!p.at_end()) throw syntax(tag.line, "unexpected tokens in for");
        std::string stop;
        n->body = parse_body({"else", "endfor"}, stop);
        if (stop.empty()) throw syntax(tag.line, "missing endfor");
        ++i_;
        if (stop == "else") {
          std::string last;
          n->else_body = parse_body({"endfor"}, last);
          if (last.empty()) throw syntax(tag.line, "missing endfor");
          ++i_;
        }
      } else if (kw == "set") {
        n->kind = Node::Kind::set;
        ExprParser p = expr_tokens(tag, true);
        n->targets.push_back(p.take_name());
        if (p.peek_op(".")) {
          p.expect_op(".");
          n->set_attr = p.take_name();
        }
        if (!p.peek_op("=")) throw syntax(tag.line, "block {% set %} is not supported");
        p.expect_op("=");
        n->expr = full_expression(p, tag.line);
      } else if (kw == "break" || kw == "continue") {
        n->kind = kw == "break" ? Node::Kind::break_ : Node::Kind::continue_;
      } else if (kw == "generation" || kw == "endgeneration") {
        continue;  // transformers' assistant-mask markers render nothing themselves
      } else {
        throw syntax(tag.line, "unsupported tag '" + kw + "'");
      }
      body.push_back(std::move(n));
    }
    if (!ends.empty()) end.clear();
    return body;
  }

  std::vector<Tag> tags_;
  std::size_t i_ = 0;
};

}  // namespace

Result<Template> Template::parse(std::string_view source) {
  auto tags = lex(source);
  if (!tags.ok()) return tags.error();
  Parser parser(std::move(*tags));
  auto body = parser.parse_all();
  if (!body.ok()) return body.error();
  auto program = std::make_shared<Program>();
  program->body = std::move(*body);
  Template t;
  t.program_ = std::move(program);
  return t;
}

}  // namespace sl::engine::jinja
