#include "engine/regex.hpp"

#include <functional>

#include "engine/unicode.hpp"

namespace sl::engine {

// One node of the parsed pattern; children are indices into the node vector.
struct Regex::Node {
  enum class Kind { empty, chars, seq, alt, repeat, look, start, end } kind = Kind::empty;
  // chars: a set of items, optionally negated; matches one code point.
  struct Item {
    enum class Type { range, letter, number, space, digit, word, any } type = Type::range;
    char32_t lo = 0, hi = 0;
    bool negated = false;  // for \P{..}, \S, \D, \W inside or outside classes
  };
  std::vector<Item> items;
  bool negated = false;
  bool icase = false;
  std::vector<int> children;  // seq, alt
  int child = -1;             // repeat, look
  int min = 0, max = -1;      // repeat; max -1 = unbounded
  bool greedy = true;
  bool look_negated = false;
};

namespace {

using Node = Regex::Node;
using Item = Regex::Node::Item;

bool item_matches(const Item& it, char32_t c) {
  bool m = false;
  switch (it.type) {
    case Item::Type::range: m = c >= it.lo && c <= it.hi; break;
    case Item::Type::letter: m = unicode::is_letter(c); break;
    case Item::Type::number: m = unicode::is_number(c); break;
    case Item::Type::space: m = unicode::is_whitespace(c); break;
    case Item::Type::digit: m = c >= '0' && c <= '9'; break;
    case Item::Type::word: m = c == '_' || unicode::is_letter(c) || unicode::is_number(c); break;
    case Item::Type::any: m = c != '\n'; break;
  }
  return m != it.negated;
}

char32_t simple_upper(char32_t c) {
  for (char32_t u : {c - 0x20, c - 0x50}) {
    if (u != c && unicode::simple_lower(u) == c) return u;
  }
  return c;
}

bool chars_match(const Node& n, char32_t c) {
  auto any = [&](char32_t x) {
    for (const Item& it : n.items)
      if (item_matches(it, x)) return true;
    return false;
  };
  bool m = any(c);
  if (!m && n.icase) m = any(unicode::simple_lower(c)) || any(simple_upper(c));
  return m != n.negated;
}

class Parser {
 public:
  Parser(std::u32string p, std::vector<Node>& nodes) : p_(std::move(p)), nodes_(nodes) {}

  Result<int> parse() {
    auto r = alternation(false);
    if (!r.ok()) return r;
    if (i_ != p_.size()) return fail("unbalanced ')'");
    return r;
  }

 private:
  Error fail(const std::string& what) {
    return make_error(ErrorCode::invalid_request,
                      "regex: " + what + " at " + std::to_string(i_) + " in " + unicode::encode_utf8(p_));
  }
  int add(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size() - 1);
  }
  bool more() const { return i_ < p_.size(); }
  char32_t peek() const { return p_[i_]; }

  Result<int> alternation(bool icase) {
    Node alt;
    alt.kind = Node::Kind::alt;
    while (true) {
      auto s = sequence(icase);
      if (!s.ok()) return s;
      alt.children.push_back(*s);
      if (more() && peek() == '|') {
        ++i_;
        continue;
      }
      break;
    }
    if (alt.children.size() == 1) return alt.children[0];
    return add(std::move(alt));
  }

  Result<int> sequence(bool icase) {
    Node seq;
    seq.kind = Node::Kind::seq;
    while (more() && peek() != '|' && peek() != ')') {
      auto a = atom(icase);
      if (!a.ok()) return a;
      auto q = quantified(*a);
      if (!q.ok()) return q;
      seq.children.push_back(*q);
    }
    return add(std::move(seq));
  }

  Result<int> quantified(int atom_index) {
    if (!more()) return atom_index;
    int min = 0, max = -1;
    const char32_t c = peek();
    if (c == '?') {
      max = 1;
    } else if (c == '*') {
    } else if (c == '+') {
      min = 1;
    } else if (c == '{') {
      std::size_t j = i_ + 1;
      auto number = [&](int& out) {
        std::size_t start = j;
        out = 0;
        while (j < p_.size() && p_[j] >= '0' && p_[j] <= '9') out = out * 10 + static_cast<int>(p_[j++] - '0');
        return j > start;
      };
      if (!number(min)) return atom_index;  // a literal '{' (Oniguruma allows it)
      max = min;
      if (j < p_.size() && p_[j] == ',') {
        ++j;
        if (!number(max)) max = -1;
      }
      if (j >= p_.size() || p_[j] != '}') return fail("bad {n,m}");
      i_ = j;
    } else {
      return atom_index;
    }
    ++i_;
    Node r;
    r.kind = Node::Kind::repeat;
    r.child = atom_index;
    r.min = min;
    r.max = max;
    if (more() && peek() == '?') {
      r.greedy = false;
      ++i_;
    } else if (more() && peek() == '+') {
      return fail("possessive quantifiers are not supported");
    }
    return add(std::move(r));
  }

  Result<int> atom(bool icase) {
    const char32_t c = p_[i_++];
    if (c == '(') {
      bool inner_icase = icase;
      Node look;
      bool is_look = false;
      if (more() && peek() == '?') {
        ++i_;
        if (!more()) return fail("bad group");
        const char32_t g = p_[i_++];
        if (g == ':') {
        } else if (g == '=' || g == '!') {
          is_look = true;
          look.kind = Node::Kind::look;
          look.look_negated = g == '!';
        } else if (g == 'i' && more() && peek() == ':') {
          ++i_;
          inner_icase = true;
        } else {
          return fail("unsupported group (?" + unicode::encode_utf8(std::u32string(1, g)));
        }
      }
      auto inner = alternation(inner_icase);
      if (!inner.ok()) return inner;
      if (!more() || peek() != ')') return fail("missing ')'");
      ++i_;
      if (!is_look) return inner;
      look.child = *inner;
      return add(std::move(look));
    }
    if (c == '^' || c == '$') {
      Node n;
      n.kind = c == '^' ? Node::Kind::start : Node::Kind::end;
      return add(std::move(n));
    }
    Node n;
    n.kind = Node::Kind::chars;
    n.icase = icase;
    if (c == '[') {
      auto s = char_class(n);
      if (!s.ok()) return s.error();
      return add(std::move(n));
    }
    if (c == '.') {
      n.items.push_back({Item::Type::any, 0, 0, false});
      return add(std::move(n));
    }
    if (c == '\\') {
      auto s = escape(n.items);
      if (!s.ok()) return s.error();
      return add(std::move(n));
    }
    if (c == ')' || c == '*' || c == '+' || c == '?') return fail("unexpected character");
    n.items.push_back({Item::Type::range, c, c, false});
    return add(std::move(n));
  }

  Status char_class(Node& n) {
    if (more() && peek() == '^') {
      n.negated = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (!more()) return fail("missing ']'");
      char32_t c = p_[i_++];
      if (c == ']' && !first) break;
      first = false;
      if (c == '[') return fail("nested classes are not supported");
      if (c == '\\') {
        std::vector<Item> items;
        if (Status s = escape(items); !s.ok()) return s;
        if (items.size() == 1 && items[0].type == Item::Type::range && items[0].lo == items[0].hi) {
          c = items[0].lo;  // an escaped literal may start a range
        } else {
          n.items.insert(n.items.end(), items.begin(), items.end());
          continue;
        }
      }
      char32_t hi = c;
      if (i_ + 1 < p_.size() && peek() == '-' && p_[i_ + 1] != ']') {
        ++i_;
        hi = p_[i_++];
        if (hi == '\\') {
          std::vector<Item> items;
          if (Status s = escape(items); !s.ok()) return s;
          if (items.size() != 1 || items[0].type != Item::Type::range) return fail("bad range");
          hi = items[0].lo;
        }
        if (hi < c) return fail("bad range");
      }
      n.items.push_back({Item::Type::range, c, hi, false});
    }
    return Status();
  }

  Status escape(std::vector<Item>& items) {
    if (!more()) return fail("trailing '\\'");
    const char32_t e = p_[i_++];
    auto lit = [&](char32_t ch) { items.push_back({Item::Type::range, ch, ch, false}); };
    switch (e) {
      case 'n': lit('\n'); return Status();
      case 'r': lit('\r'); return Status();
      case 't': lit('\t'); return Status();
      case 'f': lit('\f'); return Status();
      case 'v': lit('\v'); return Status();
      case '0': lit(0); return Status();
      case 's': case 'S': items.push_back({Item::Type::space, 0, 0, e == 'S'}); return Status();
      case 'd': case 'D': items.push_back({Item::Type::digit, 0, 0, e == 'D'}); return Status();
      case 'w': case 'W': items.push_back({Item::Type::word, 0, 0, e == 'W'}); return Status();
      case 'p': case 'P': {
        std::u32string name;
        if (more() && peek() == '{') {
          ++i_;
          while (more() && peek() != '}') name.push_back(p_[i_++]);
          if (!more()) return fail("missing '}'");
          ++i_;
        } else if (more()) {
          name.push_back(p_[i_++]);
        }
        bool negated = e == 'P';
        if (!name.empty() && name[0] == '^') {
          negated = !negated;
          name.erase(0, 1);
        }
        if (name == U"L" || name == U"Letter") {
          items.push_back({Item::Type::letter, 0, 0, negated});
        } else if (name == U"N" || name == U"Number") {
          items.push_back({Item::Type::number, 0, 0, negated});
        } else {
          return fail("unsupported property \\p{" + unicode::encode_utf8(name) + "}");
        }
        return Status();
      }
      case 'x': case 'u': {
        std::size_t digits = e == 'u' ? 4 : 2;
        bool braces = more() && peek() == '{';
        if (braces) ++i_;
        char32_t v = 0;
        std::size_t k = 0;
        while (more() && (braces ? peek() != '}' : k < digits)) {
          const char32_t h = p_[i_++];
          int d = (h >= '0' && h <= '9') ? int(h - '0') : (h >= 'a' && h <= 'f') ? int(h - 'a' + 10)
                  : (h >= 'A' && h <= 'F') ? int(h - 'A' + 10) : -1;
          if (d < 0) return fail("bad hex escape");
          v = v * 16 + static_cast<char32_t>(d);
          ++k;
        }
        if (braces) {
          if (!more()) return fail("missing '}'");
          ++i_;
        }
        lit(v);
        return Status();
      }
      default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '1' && e <= '9'))
          return fail("unsupported escape");
        lit(e);
        return Status();
    }
  }

  std::u32string p_;
  std::size_t i_ = 0;
  std::vector<Node>& nodes_;
};

using Cont = std::function<bool(std::size_t)>;

class Matcher {
 public:
  Matcher(const std::vector<Node>& nodes, std::u32string_view text) : nodes_(nodes), t_(text) {}

  bool match(int index, std::size_t pos, const Cont& k) const {
    const Node& n = nodes_[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case Node::Kind::empty: return k(pos);
      case Node::Kind::start: return pos == 0 && k(pos);
      case Node::Kind::end: return pos == t_.size() && k(pos);
      case Node::Kind::chars: return pos < t_.size() && chars_match(n, t_[pos]) && k(pos + 1);
      case Node::Kind::seq: return seq(n, 0, pos, k);
      case Node::Kind::alt:
        for (int c : n.children)
          if (match(c, pos, k)) return true;
        return false;
      case Node::Kind::look: {
        const bool found = match(n.child, pos, [](std::size_t) { return true; });
        return found != n.look_negated && k(pos);
      }
      case Node::Kind::repeat: return repeat(n, pos, k);
    }
    return false;
  }

 private:
  bool seq(const Node& n, std::size_t i, std::size_t pos, const Cont& k) const {
    if (i == n.children.size()) return k(pos);
    const Cont next = [&, i](std::size_t p) { return seq(n, i + 1, p, k); };
    return match(n.children[i], pos, next);
  }

  bool repeat(const Node& n, std::size_t pos, const Cont& k) const {
    const Node& child = nodes_[static_cast<std::size_t>(n.child)];
    const std::size_t max = n.max < 0 ? t_.size() + 1 : static_cast<std::size_t>(n.max);
    const std::size_t min = static_cast<std::size_t>(n.min);
    if (child.kind == Node::Kind::chars) {
      // One code point per iteration: count the run once and try lengths without recursion.
      std::size_t run = 0;
      while (run < max && pos + run < t_.size() && chars_match(child, t_[pos + run])) ++run;
      if (run < min) return false;
      if (n.greedy) {
        for (std::size_t c = run + 1; c-- > min;)
          if (k(pos + c)) return true;
      } else {
        for (std::size_t c = min; c <= run; ++c)
          if (k(pos + c)) return true;
      }
      return false;
    }
    return general_repeat(n, 0, pos, k);
  }

  bool general_repeat(const Node& n, std::size_t count, std::size_t pos, const Cont& k) const {
    const bool can_stop = count >= static_cast<std::size_t>(n.min);
    const bool can_go = n.max < 0 || count < static_cast<std::size_t>(n.max);
    const Cont again = [&, count, pos](std::size_t p) {
      return p != pos && general_repeat(n, count + 1, p, k);  // no progress: stop looping
    };
    if (n.greedy) {
      if (can_go && match(n.child, pos, again)) return true;
      return can_stop && k(pos);
    }
    if (can_stop && k(pos)) return true;
    return can_go && match(n.child, pos, again);
  }

  const std::vector<Node>& nodes_;
  std::u32string_view t_;
};

}  // namespace

Result<Regex> Regex::compile(std::string_view pattern) {
  auto nodes = std::make_shared<std::vector<Node>>();
  Parser parser(unicode::decode_utf8(pattern), *nodes);
  auto root = parser.parse();
  if (!root.ok()) return root.error();
  Regex r;
  r.root_ = *root;
  r.nodes_ = std::move(nodes);
  return r;
}

std::optional<Regex::Match> Regex::find(std::u32string_view text, std::size_t from) const {
  Matcher m(*nodes_, text);
  for (std::size_t start = from; start < text.size(); ++start) {
    std::size_t end = 0;
    if (m.match(root_, start, [&](std::size_t p) {
          end = p;
          return p > start;  // an empty match is no match here
        }))
      return Match{start, end};
  }
  return std::nullopt;
}

std::vector<Regex::Match> Regex::find_all(std::u32string_view text) const {
  std::vector<Match> out;
  std::size_t pos = 0;
  while (auto m = find(text, pos)) {
    out.push_back(*m);
    pos = m->end;
  }
  return out;
}

}  // namespace sl::engine
