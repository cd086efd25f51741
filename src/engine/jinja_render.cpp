// Evaluation of parsed templates with jinja2's semantics (ImmutableSandboxedEnvironment with
// transformers' globals and filters).
#include <algorithm>
#include <cmath>

#include "engine/jinja_ast.hpp"
#include "engine/jinja_ops.hpp"
#include "engine/jinja_template.hpp"

namespace sl::engine::jinja {
namespace {

class Renderer {
 public:
  explicit Renderer(const Value& context) {
    scopes_.emplace_back();
    if (context.is_dict())
      for (const auto& [k, v] : context.dict()) scopes_.back()[k] = v;
  }

  enum class Flow { normal, break_, continue_ };

  Flow exec(const Body& body) {
    for (const NodePtr& n : body) {
      const Flow f = exec(*n);
      if (f != Flow::normal) return f;
    }
    return Flow::normal;
  }

  std::string out;

 private:
  Flow exec(const Node& n) {
    switch (n.kind) {
      case Node::Kind::text: out += n.text; return Flow::normal;
      case Node::Kind::output: out += to_str(eval(*n.expr)); return Flow::normal;
      case Node::Kind::if_:
        for (const auto& [cond, body] : n.branches)
          if (!cond || truthy(eval(*cond))) return exec(body);
        return Flow::normal;
      case Node::Kind::set: {
        Value v = eval(*n.expr);
        if (n.set_attr.empty()) {
          scopes_.back()[n.targets[0]] = std::move(v);
        } else {
          Value target = lookup(n.targets[0]);
          if (!target.is_namespace()) fail("can only assign to attributes of a namespace");
          target.ns().attrs[n.set_attr] = std::move(v);
        }
        return Flow::normal;
      }
      case Node::Kind::break_: return Flow::break_;
      case Node::Kind::continue_: return Flow::continue_;
      case Node::Kind::for_: return exec_for(n);
    }
    return Flow::normal;
  }

  void bind(const Node& n, const Value& item) {
    if (n.targets.size() == 1) {
      scopes_.back()[n.targets[0]] = item;
      return;
    }
    const List parts = iterate(item);
    if (parts.size() != n.targets.size()) fail("not enough values to unpack");
    for (std::size_t i = 0; i < parts.size(); ++i) scopes_.back()[n.targets[i]] = parts[i];
  }

  Flow exec_for(const Node& n) {
    const List all = iterate(eval(*n.expr));
    scopes_.emplace_back();
    List items;
    for (const Value& item : all) {
      if (n.filter) {
        bind(n, item);
        if (!truthy(eval(*n.filter))) continue;
      }
      items.push_back(item);
    }
    const auto count = static_cast<std::int64_t>(items.size());
    for (std::int64_t i = 0; i < count; ++i) {
      bind(n, items[static_cast<std::size_t>(i)]);
      Dict loop{{"index", i + 1},
                {"index0", i},
                {"revindex", count - i},
                {"revindex0", count - i - 1},
                {"first", i == 0},
                {"last", i == count - 1},
                {"length", count},
                {"previtem", i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value(Undefined{"there is no previous item"})},
                {"nextitem", i + 1 < count ? items[static_cast<std::size_t>(i + 1)] : Value(Undefined{"there is no next item"})}};
      scopes_.back()["loop"] = Value(std::move(loop));
      if (exec(n.body) == Flow::break_) break;
    }
    scopes_.pop_back();
    if (count == 0) return exec(n.else_body);
    return Flow::normal;
  }

  Value lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end()) return found->second;
    }
    return Undefined{"'" + name + "' is undefined"};
  }

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::literal: return e.value;
      case Expr::Kind::name: return lookup(e.name);
      case Expr::Kind::list: {
        List l;
        for (const ExprPtr& x : e.args) l.push_back(eval(*x));
        return l;
      }
      case Expr::Kind::dict: {
        Dict d;
        for (std::size_t i = 0; i < e.args.size(); ++i) {
          const Value k = eval(*e.args[i]);
          if (!k.is_string()) fail("dict keys must be strings here");
          Value v = eval(*e.kwargs[i].second);
          auto it = std::find_if(d.begin(), d.end(), [&](const auto& kv) { return kv.first == k.str(); });
          if (it != d.end()) it->second = std::move(v);
          else d.emplace_back(k.str(), std::move(v));
        }
        return d;
      }
      case Expr::Kind::attr: {
        const Value obj = eval(*e.a);
        touch(obj);
        if (obj.is_dict() || obj.is_namespace()) return get_item(obj, Value(e.name));
        return undefined_attr(obj, e.name);
      }
      case Expr::Kind::item: return get_item(eval(*e.a), eval(*e.b));
      case Expr::Kind::slice: {
        const Value obj = eval(*e.a);
        const Value start = e.b ? eval(*e.b) : Value(None{});
        const Value stop = e.args[0] ? eval(*e.args[0]) : Value(None{});
        const Value step = e.c ? eval(*e.c) : Value(None{});
        return slice(obj, start, stop, step);
      }
      case Expr::Kind::call: return call(e);
      case Expr::Kind::filter: return filter(e);
      case Expr::Kind::test: return test(e) != e.negated;
      case Expr::Kind::unary: {
        const Value v = eval(*e.a);
        touch(v);
        if (!v.is_number() && !v.is_bool()) fail("bad operand type for unary " + e.name + ": '" + type_name(v) + "'");
        if (e.name == "+") return v;
        return v.is_float() ? Value(-std::get<double>(v.v)) : Value(-static_cast<std::int64_t>(v.number()));
      }
      case Expr::Kind::binary: {
        const Value a = eval(*e.a);
        const Value b = eval(*e.b);
        if (e.name == "==") return equal(a, b);
        if (e.name == "!=") return !equal(a, b);
        if (e.name == "~") return to_str(a) + to_str(b);
        if (e.name == "in" || e.name == "not in") {
          touch(b);
          return contains(b, a) == (e.name == "in");
        }
        if (e.name == "<" || e.name == ">" || e.name == "<=" || e.name == ">=") {
          touch(a);
          touch(b);
          if (e.name == "<") return less(a, b);
          if (e.name == ">") return less(b, a);
          if (e.name == "<=") return !less(b, a);
          return !less(a, b);
        }
        return arithmetic(e.name, a, b);
      }
      case Expr::Kind::ternary:
        if (truthy(eval(*e.b))) return eval(*e.a);
        return e.c ? eval(*e.c) : Value(Undefined{"the inline if-expression evaluated to false and no else section was defined"});
      case Expr::Kind::and_: {
        Value a = eval(*e.a);
        return truthy(a) ? eval(*e.b) : a;
      }
      case Expr::Kind::or_: {
        Value a = eval(*e.a);
        return truthy(a) ? a : eval(*e.b);
      }
      case Expr::Kind::not_: return !truthy(eval(*e.a));
    }
    return Undefined{};
  }

  std::vector<Value> args(const Expr& e) {
    std::vector<Value> out;
    for (const ExprPtr& a : e.args) out.push_back(eval(*a));
    return out;
  }
  const Value* kwarg(const Expr& e, std::string_view name, std::vector<Value>& storage) {
    for (const auto& [k, v] : e.kwargs)
      if (k == name) {
        storage.push_back(eval(*v));
        return &storage.back();
      }
    return nullptr;
  }

  Value call(const Expr& e) {
    std::vector<Value> a = args(e);
    if (e.a->kind == Expr::Kind::name) {
      const std::string& fn = e.a->name;
      if (fn == "raise_exception") fail(a.empty() ? std::string() : to_str(a[0]));
      if (fn == "namespace" || fn == "dict") {
        auto ns = std::make_shared<Namespace>();
        Dict d;
        if (!a.empty() && a[0].is_dict()) d = a[0].dict();
        for (const auto& [k, v] : e.kwargs) {
          if (fn == "namespace" && !k.empty() && k[0] == '_') fail("namespace attributes may not start with '_'");
          d.emplace_back(k, eval(*v));
        }
        if (fn == "dict") return d;
        for (auto& [k, v] : d) ns->attrs[k] = v;
        Value out;
        out.v = std::move(ns);
        return out;
      }
      if (fn == "range") {
        std::int64_t start = 0, stop = 0, step = 1;
        if (a.size() == 1) stop = a[0].number();
        if (a.size() >= 2) { start = static_cast<std::int64_t>(a[0].number()); stop = static_cast<std::int64_t>(a[1].number()); }
        if (a.size() == 3) step = static_cast<std::int64_t>(a[2].number());
        if (step == 0) fail("range() arg 3 must not be zero");
        List l;
        for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) l.emplace_back(i);
        return l;
      }
      const Value callee = lookup(fn);
      touch(callee);
      fail("'" + type_name(callee) + "' object is not callable");
    }
    if (e.a->kind != Expr::Kind::attr) fail("only functions and methods can be called");
    const Value obj = eval(*e.a->a);
    touch(obj);
    return call_method(obj, e.a->name, a);
  }

  Value apply_filter(const std::string& name, const Value& v, const std::vector<Value>& a, const Expr* e) {
    std::vector<Value> kw;
    auto arg = [&](std::size_t i, std::string_view key) -> const Value* {
      if (i < a.size()) return &a[i];
      return e ? kwarg(*e, key, kw) : nullptr;
    };
    if (name == "safe" || name == "e" || name == "escape") return v;  // autoescape is off
    if (name == "default" || name == "d") {
      const Value* fallback = arg(0, "default_value");
      const Value* boolean = arg(1, "boolean");
      const bool use = v.is_undefined() || (boolean && truthy(*boolean) && !truthy(v));
      return use ? (fallback ? *fallback : Value(std::string())) : v;
    }
    if (name == "length" || name == "count") return length(v);
    if (name == "tojson") {
      const Value* indent = arg(0, "indent");
      return to_json(v, indent && indent->is_int() ? static_cast<int>(indent->integer()) : -1);
    }
    if (name == "string") return to_str(v);
    if (name == "list") return iterate(v);
    if (name == "trim") return strip(to_str(v), true, true, arg(0, "chars"));
    if (name == "upper") return map_case(to_str(v), 1);
    if (name == "lower") return map_case(to_str(v), 0);
    if (name == "capitalize") return map_case(to_str(v), 2);
    if (name == "title") return map_case(to_str(v), 3);
    if (name == "replace") {
      const Value* from = arg(0, "old");
      const Value* to = arg(1, "new");
      if (!from || !to) fail("replace needs two arguments");
      return replace_all(to_str(v), to_str(*from), to_str(*to));
    }
    if (name == "int") {
      if (v.is_number() || v.is_bool()) return static_cast<std::int64_t>(v.number());
      try {
        return static_cast<std::int64_t>(std::stoll(to_str(v)));
      } catch (...) {
        return static_cast<std::int64_t>(0);
      }
    }
    if (name == "float") return v.is_number() || v.is_bool() ? Value(v.number()) : Value(0.0);
    if (name == "abs") {
      touch(v);
      return v.is_float() ? Value(std::fabs(std::get<double>(v.v))) : Value(static_cast<std::int64_t>(std::llabs(static_cast<long long>(v.number()))));
    }
    if (name == "first" || name == "last") {
      const List l = iterate(v);
      if (l.empty()) return Undefined{"No first item, sequence was empty."};
      return name == "first" ? l.front() : l.back();
    }
    if (name == "reverse") {
      if (v.is_string()) {
        std::u32string t = cps(v.str());
        std::reverse(t.begin(), t.end());
        return utf8(t);
      }
      List l = iterate(v);
      std::reverse(l.begin(), l.end());
      return l;
    }
    if (name == "join") {
      const Value* sep = arg(0, "d");
      const Value* attribute = arg(1, "attribute");
      std::string out;
      bool first = true;
      for (const Value& item : iterate(v)) {
        const Value x = attribute ? get_item(item, *attribute) : item;
        out += (first ? "" : (sep ? to_str(*sep) : "")) + to_str(x);
        first = false;
      }
      return out;
    }
    if (name == "items") {
      touch(v);
      return call_method(v, "items", {});
    }
    if (name == "map") {
      const Value* attribute = e ? kwarg(*e, "attribute", kw) : nullptr;
      List out;
      for (const Value& item : iterate(v)) {
        if (attribute) {
          out.push_back(get_item(item, *attribute));
        } else if (!a.empty() && a[0].is_string()) {
          out.push_back(apply_filter(a[0].str(), item, std::vector<Value>(a.begin() + 1, a.end()), nullptr));
        } else {
          fail("map needs an attribute or a filter name");
        }
      }
      return out;
    }
    if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
      const bool by_attr = name == "selectattr" || name == "rejectattr";
      const bool keep = name == "selectattr" || name == "select";
      List out;
      for (const Value& item : iterate(v)) {
        std::size_t k = 0;
        Value subject = item;
        if (by_attr) {
          if (a.empty()) fail(name + " needs an attribute");
          subject = get_item(item, a[k++]);
        }
        bool ok;
        if (k < a.size()) {
          if (!a[k].is_string()) fail(name + ": the test must be a name");
          ok = run_test(a[k].str(), subject, std::vector<Value>(a.begin() + static_cast<std::ptrdiff_t>(k) + 1, a.end()));
        } else {
          ok = truthy(subject);
        }
        if (ok == keep) out.push_back(item);
      }
      return out;
    }
    fail("no filter named '" + name + "'");
  }

  Value filter(const Expr& e) {
    const Value v = eval(*e.a);
    return apply_filter(e.name, v, args(e), &e);
  }

  bool run_test(const std::string& name, const Value& v, const std::vector<Value>& a) {
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.is_none();
    if (name == "string") return v.is_string();
    if (name == "number") return v.is_number();
    if (name == "integer") return v.is_int();
    if (name == "float") return v.is_float();
    if (name == "boolean") return v.is_bool();
    if (name == "true") return v.is_bool() && std::get<bool>(v.v);
    if (name == "false") return v.is_bool() && !std::get<bool>(v.v);
    if (name == "mapping") return v.is_dict();
    if (name == "sequence") return v.is_list() || v.is_string() || v.is_dict();
    if (name == "iterable") return v.is_list() || v.is_string() || v.is_dict();
    if (name == "callable") return false;
    if (name == "odd" || name == "even") {
      touch(v);
      return (static_cast<std::int64_t>(v.number()) % 2 != 0) == (name == "odd");
    }
    if (name == "divisibleby") {
      if (a.empty()) fail("divisibleby needs an argument");
      const auto d = static_cast<std::int64_t>(a[0].number());
      return d != 0 && static_cast<std::int64_t>(v.number()) % d == 0;
    }
    if (a.empty()) fail("no test named '" + name + "'");
    if (name == "eq" || name == "equalto" || name == "==" || name == "sameas") return equal(v, a[0]);
    if (name == "ne" || name == "!=") return !equal(v, a[0]);
    if (name == "in") return contains(a[0], v);
    if (name == "lt" || name == "lessthan") return less(v, a[0]);
    if (name == "gt" || name == "greaterthan") return less(a[0], v);
    fail("no test named '" + name + "'");
  }

  bool test(const Expr& e) { return run_test(e.name, eval(*e.a), args(e)); }

  std::vector<std::map<std::string, Value>> scopes_;
};

}  // namespace

Result<std::string> Template::render(const Value& context) const {
  Renderer r(context);
  try {
    r.exec(program_->body);
  } catch (const Failure& f) {
    return make_error(ErrorCode::invalid_request, f.message);
  }
  return std::move(r.out);
}

}  // namespace sl::engine::jinja
