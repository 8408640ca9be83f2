#include "storage/store.hpp"

namespace hotline::storage {

// These spellings are also what the schema stores in messages.box; changing them needs a
// migration.
std::string_view to_string(box b) {
  switch (b) {
    case box::in:
      return "in";
    case box::out:
      return "out";
  }
  return "out";
}

std::string_view to_string(delivery_status s) {
  switch (s) {
    case delivery_status::queued:
      return "queued";
    case delivery_status::sent:
      return "sent";
    case delivery_status::delivered:
      return "delivered";
    case delivery_status::acknowledged:
      return "acknowledged";
  }
  return "queued";
}

}  // namespace hotline::storage
