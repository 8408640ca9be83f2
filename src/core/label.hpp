// Label: the handling marking and caveats a sender puts on a message, and the agreement's label
// policy, which says what labels exist and how each side reads the other's.
//
// Each side declares its own markings in its own language (a `scheme`), lowest first, with a
// ceiling above which nothing may be sent on a hotline. The agreement pairs the two sides'
// markings (equivalences) and defines the caveats both accept: an embargo until an instant,
// releasable to named organisations, no forwarding to third parties. A label names one marking of
// the sender's own scheme and up to limits::label_caveats_max caveats; it is part of the
// message's signed bytes. A reader shows it as the equivalent marking of its own scheme.
//
// `policy` is parsed from the agreement by config (docs/agreement.md, "Handling labels") and is a
// plain value; an agreement without labels has an empty policy, under which the only label is the
// empty one. Pure functions; immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace hotline::labels {

// Caveat kinds and the value each carries on the wire:
//   embargo        decimal UTC ms since the epoch before which the message may not be released
//   releasable-to  organisation ids of the agreement, ascending, comma-separated, none repeated
//   no-forward     no value
enum class caveat_kind { embargo, releasable_to, no_forward };
std::string_view to_string(caveat_kind k);
std::optional<caveat_kind> parse_caveat_kind(std::string_view text);

struct caveat {
  std::string id;     // a caveat the agreement defines
  std::string value;  // as above for its kind
  bool operator==(const caveat&) const = default;
};

struct label {
  std::string marking;  // a marking id of the sender's scheme; empty: no label
  std::vector<caveat> caveats;
  bool empty() const { return marking.empty() && caveats.empty(); }
  bool operator==(const label&) const = default;
};

// The text form the store keeps and the journal shows: the marking, then "/id" or "/id=value"
// for each caveat in order ("rok-restricted/embargo=1796860800000/no-forward"); "" for no label.
std::string to_text(const label& l);
std::optional<label> parse_text(std::string_view text);

// The bytes a label adds to a message's weight in queues and windows.
std::size_t weight_bytes(const label& l);

// Names keyed by language ("ko", "ru", "en").
using names = std::map<std::string, std::string, std::less<>>;

// The name in `lang`, else in English, else the first one given, else `id`.
std::string name_in(const names& n, std::string_view lang, const std::string& id);

// The organisation ids a releasable-to value names, in order.
std::vector<std::string> organisation_ids(std::string_view value);

struct marking_def {
  std::string id;
  std::string scheme;  // the scheme that declares it
  int rank = 0;        // position in its scheme, 0 = lowest
  names name;          // at least in its scheme's language
  bool operator==(const marking_def&) const = default;
};

// One side's markings.
struct scheme {
  std::string id;
  std::string language;               // its stations' language
  std::vector<std::string> stations;  // the stations that mark by it
  std::vector<std::string> markings;  // lowest first
  std::string ceiling;                // the highest marking a hotline may carry
  std::string default_marking;        // for forms not named in form_defaults
  std::map<std::string, std::string, std::less<>> form_defaults;  // form id -> marking
  bool operator==(const scheme&) const = default;
};

struct caveat_def {
  std::string id;
  caveat_kind kind = caveat_kind::no_forward;
  names name;
  bool operator==(const caveat_def&) const = default;
};

struct organisation {
  std::string id;
  names name;
  bool operator==(const organisation&) const = default;
};

struct policy {
  std::vector<scheme> schemes;
  std::vector<marking_def> markings;
  std::vector<std::pair<std::string, std::string>> equivalences;  // marking id <-> marking id
  std::vector<caveat_def> caveats;
  std::vector<organisation> organisations;

  bool operator==(const policy&) const = default;
  bool defined() const { return !schemes.empty(); }
  const scheme* scheme_of(std::string_view station) const;
  const marking_def* find_marking(std::string_view id) const;
  const caveat_def* find_caveat(std::string_view id) const;
  const organisation* find_organisation(std::string_view id) const;
  // True when `marking` is at or below its scheme's ceiling.
  bool within_ceiling(std::string_view marking) const;
  // The marking station `reader` shows for `marking`: itself in the reader's own scheme, else
  // its equivalence there; empty when there is none (or no policy).
  std::string local_marking(std::string_view reader, std::string_view marking) const;
  // The label a post of `form` by `station` carries when its sender names none: the scheme's
  // default for the form, without caveats; the empty label when there is no policy.
  label default_for(std::string_view station, std::string_view form) const;
  // The clearance a reader at `station` holds when none is set: the lowest marking of its scheme
  // (empty when there is no policy or the station has no scheme).
  std::string lowest_marking(std::string_view station) const;
  // Whether `clearance` may be given to a user or token of `station`: a marking of its own
  // scheme, or empty (the lowest). With no policy, only empty.
  bool valid_clearance(std::string_view station, std::string_view clearance) const;
  // The marking `clearance` clears a reader at `station` to: itself when valid_clearance and not
  // empty, else the lowest marking.
  std::string effective_clearance(std::string_view station, std::string_view clearance) const;
  // Whether a reader at `station` cleared to `clearance` (as above; an unknown one counts as
  // empty) may read the content of a message labelled `l`. With no policy, or for an unlabelled
  // message (sent before labels), yes. Otherwise only when the label's marking, in the reader's
  // own terms, ranks at or below the clearance; a marking with no equivalent there is refused.
  bool cleared_for(std::string_view station, std::string_view clearance, const label& l) const;
};

// Whether `sender` may put `l` on a message under `p`. With no policy, only the empty label. With
// one: a marking of the sender's own scheme at or below its ceiling, and caveats the agreement
// defines, each at most once, each value well formed for its kind. The error names the field
// ("label.marking", "label.caveats[1]") and says why in words.
result<void> check(const policy& p, std::string_view sender, const label& l);

// The instant an embargo caveat of `l` lifts, if it has one (UTC ms).
std::optional<std::int64_t> embargo_until_ms(const policy& p, const label& l);
// The instant an embargo caveat's value names (UTC ms), or nullopt when it is malformed.
std::optional<std::int64_t> embargo_value_ms(std::string_view value);

}  // namespace hotline::labels
