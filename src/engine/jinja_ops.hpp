// Operations on Jinja values with Python's semantics (jinja2 on CPython): iteration, item and
// slice access, comparison, membership, arithmetic, string case and strip, and the str/dict
// methods chat templates call. Shared by the renderer (jinja_render.cpp); no state.
// Errors: every operation a template may get wrong (a bad index, an unknown method, a wrong
// type) throws Failure through fail(); Template::render catches it and returns
// invalid_request. Failure never leaves the engine module.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja_value.hpp"

namespace sl::engine::jinja {

struct Failure {  // unwinds a render; caught in Template::render
  std::string message;
};

[[noreturn]] void fail(std::string message);

// The value of a missing attribute (an Undefined that names it).
Value undefined_attr(const Value& obj, const std::string& name);
// Using an undefined value for anything but output is an error.
void touch(const Value& v);

std::u32string cps(const std::string& s);
std::string utf8(std::u32string_view s);

std::string strip(const std::string& s, bool left, bool right, const Value* chars);
std::string map_case(const std::string& s, int mode);  // 0 lower, 1 upper, 2 capitalize, 3 title
std::string replace_all(const std::string& s, const std::string& from, const std::string& to);

std::int64_t length(const Value& v);
List iterate(const Value& v);
Value get_item(const Value& obj, const Value& key);
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step_value);
bool less(const Value& a, const Value& b);
bool contains(const Value& container, const Value& item);
Value arithmetic(const std::string& op, const Value& a, const Value& b);

// obj.name(*a) for the str and dict methods templates use (strip, startswith, split, items, get, ...).
Value call_method(const Value& obj, const std::string& name, const std::vector<Value>& a);

}  // namespace sl::engine::jinja
