#include "core/message.hpp"

namespace hotline {

std::string_view to_string(precedence p) {
  switch (p) {
    case precedence::flash: return "flash";
    case precedence::immediate: return "immediate";
    case precedence::priority: return "priority";
    case precedence::routine: return "routine";
  }
  return "routine";
}

std::optional<precedence> parse_precedence(std::string_view text) {
  if (text == "flash") return precedence::flash;
  if (text == "immediate") return precedence::immediate;
  if (text == "priority") return precedence::priority;
  if (text == "routine") return precedence::routine;
  return std::nullopt;
}

std::size_t message_weight_bytes(const message& m) {
  return message_weight_overhead_bytes + m.id.size() + m.channel.size() + m.from.size() + m.form.size() + m.body.size() +
         m.signature.size() + labels::weight_bytes(m.label);
}

}  // namespace hotline
