// A Jinja interpreter for the subset chat templates use, matching Python jinja2 as
// transformers configures it (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
// loopcontrols; tojson without HTML escaping; raise_exception and namespace globals):
// {{ }}, {% if/elif/else %}, {% for x in y [if c] %} with loop.* and {% else %}, {% set %}
// (names and namespace attributes), {% break/continue %}, {% generation %}, comments,
// whitespace control ({%- -%}, {{- -}}), expressions with Python semantics, common filters,
// tests and string/dict methods. A parsed Template is immutable and may render concurrently.
// Errors: parse() returns invalid_request with the line for syntax it does not accept;
// render() returns invalid_request with jinja2's message (raise_exception's text, or e.g.
// "list object has no element 0" when an undefined value is used).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "engine/jinja_value.hpp"

namespace sl::engine::jinja {

struct Program;

class Template {
 public:
  static Result<Template> parse(std::string_view source);
  // `context` is a dict of the template's variables.
  Result<std::string> render(const Value& context) const;

 private:
  std::shared_ptr<const Program> program_;
};

}  // namespace sl::engine::jinja
