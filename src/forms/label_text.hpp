// Label text: a message's handling label in a reader's own terms, for the CLI, the evidence
// verdict and the journal's readers.
//
// The marking is given as the reader's own national marking (its equivalent, core/label.hpp) in
// the reader's language, with its id; caveats by their agreed names in that language, an
// embargo's instant in RFC 3339 UTC, organisations by name. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/label.hpp"

namespace hotline::forms {

// For example `대외비 [rok-restricted] (공개 금지 시한 2026-12-10T00:00:00Z; 제3자 전달 금지)`.
// The empty label reads "unlabelled". A marking with no equivalent for the reader keeps the
// sender's, with its own name.
std::string describe_label(const labels::policy& p, std::string_view reader,
                           const labels::label& l);

// Whether message `id`, labelled `l`, may be released now (an evidence bundle is a release):
// errc::conflict, naming the instant, while an embargo caveat holds it back.
result<void> check_release(const labels::policy& p, const labels::label& l, std::int64_t now_ms,
                           std::string_view id);

}  // namespace hotline::forms
