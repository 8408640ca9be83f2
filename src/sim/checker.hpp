// Checker: the invariants a simulated run must hold once the network has healed and gone quiet.
//
// For one direction (sender -> receiver) of every channel: every post acknowledged to the
// sender's officer is in the receiver's inbox exactly once; the inbox holds seqs 1..n with no
// gap; each message has the same seq, text and precedence on both disks; messages of one
// precedence arrive in the order they were posted; nothing is in an inbox that was never posted;
// every outbound message is marked delivered; and each engine's status agrees with its store.
// Reads stores and engines only.
#pragma once

#include "core/error.hpp"
#include "sim/station.hpp"

namespace hotline::sim {

// Checks the direction `from` -> `to`. The error names the first broken invariant.
result<void> check_direction(station& from, station& to);

// Checks `s`'s journal as `hotline journal verify` would: chain, signatures, sequences and the
// peer's checkpoints.
result<void> check_journal(station& s);

// True when `s` has nothing left to do: up, no write pending, nothing queued or unacknowledged,
// no recovery after a restore under way.
bool station_quiet(station& s);

}  // namespace hotline::sim
