// The parsed form of a Jinja template (internal to jinja_parser.cpp and jinja_render.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/jinja_value.hpp"

namespace sl::engine::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    literal, name, list, dict, attr, item, slice, call, filter, test, unary, binary, ternary, and_, or_, not_
  } kind = Kind::literal;
  Value value;            // literal
  std::string name;       // name, attr, filter, test, op for unary/binary
  std::vector<ExprPtr> args;              // list items, call/filter/test args (positional)
  std::vector<std::pair<std::string, ExprPtr>> kwargs;  // keyword args; dict items (key expr in args)
  ExprPtr a, b, c;        // operands: target/left, right, third (slice step, ternary else)
  bool negated = false;   // `is not`
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
  enum class Kind { text, output, if_, for_, set, break_, continue_ } kind = Kind::text;
  std::string text;                        // text
  ExprPtr expr;                            // output, set value, for iterable
  std::vector<std::pair<ExprPtr, Body>> branches;  // if: (condition or null for else, body)
  std::vector<std::string> targets;        // for: loop variable names; set: name
  std::string set_attr;                    // set ns.attr: the attribute
  ExprPtr filter;                          // for ... if filter
  Body body, else_body;                    // for
  int line = 0;
};

struct Program {
  Body body;
};

}  // namespace sl::engine::jinja
