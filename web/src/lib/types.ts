// The station API's objects, as docs/api.md describes them. Fields marked optional are ones the
// API is still growing (forms, acknowledgements, link tests, evidence); the console checks for
// them and shows a note rather than failing when a station does not send them yet.

export type precedence = 'flash' | 'immediate' | 'priority' | 'routine';
export const precedences: precedence[] = ['flash', 'immediate', 'priority', 'routine'];
export type language = 'ko' | 'ru' | 'en';
export const languages: language[] = ['ko', 'ru', 'en'];
export type role = 'duty-officer' | 'translator' | 'supervisor' | 'auditor' | 'admin';

// A reader's clearance: the highest marking of this station's own scheme whose messages they may
// read, named in their language; null when the agreement defines no handling labels.
export interface clearance {
  id: string;
  name: string;
}

export interface user {
  name: string;
  role: role;
  language: language | null;
  // Absent from stations that predate clearances: treated as null (nothing withheld).
  clearance?: clearance | null;
}

export interface session_info {
  user: user;
  csrf_token?: string;
}

// A translation attached at the receiving station (docs/translations.md).
export interface translation {
  id: number;
  lang: string;
  text: string;
  by?: string;
  created_at?: string;
  state?: 'pending' | 'certified' | 'rejected';
  reviewed_by?: string | null;
  reviewed_at?: string | null;
  review_note?: string;
}

export interface escalation {
  at: string;
  to?: string;
  reason?: string;
}

// A message's handling label, read in this station's terms (docs/api.md, "Handling labels"):
// `name` is this station's own marking for it, in this station's language.
export type caveat_kind = 'embargo' | 'releasable-to' | 'no-forward';

export interface label_caveat {
  id: string;
  kind: caveat_kind | string;
  name: string;
  until?: string;   // embargo: RFC 3339 UTC
  to?: string[];    // releasable-to: organisation ids
}

export interface message_label {
  marking: string;
  local_marking: string | null;
  name: string;
  caveats: label_caveat[];
  embargoed_until?: string;
}

// GET /api/v1/labels: the markings this station may use and how it reads the other side's.
export interface label_marking {
  id: string;
  name: string;
  names: Record<string, string>;
  rank: number;
  sendable: boolean;
  equivalent: string | null;
}

export interface label_caveat_def {
  id: string;
  kind: caveat_kind | string;
  name: string;
  names: Record<string, string>;
}

export interface label_organisation {
  id: string;
  name: string;
  names: Record<string, string>;
}

export interface labels_policy {
  defined: boolean;
  scheme?: string;
  language?: string;
  ceiling?: string;
  default?: string;
  markings: label_marking[];
  caveats: label_caveat_def[];
  organisations: label_organisation[];
  form_defaults?: Record<string, string>;
}

// The `label` of a post.
export type post_caveat = { id: string } | { id: string; until: string } | { id: string; to: string[] };

export interface post_label {
  marking: string;
  caveats?: post_caveat[];
}

export interface message {
  id: string;
  channel: string;
  seq: number | null;
  box: 'in' | 'out';
  precedence: precedence;
  form: string;
  text?: string | null;
  fields?: Record<string, unknown> | null;
  rendered?: string | null;
  summary?: string | null;
  title?: string | null;
  from: string;
  created_at: string;
  status: 'queued' | 'sent' | 'delivered' | 'acknowledged';
  delivered_at: string | null;
  received_at: string | null;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
  answer?: string | null;
  escalated_at?: string | null;
  escalations?: escalation[];
  translations?: translation[];
  label?: message_label | null;
  cursor: number;
  // True when the message is marked above the reader's clearance: the object is then only its
  // envelope and label, with no text, fields, answer, flag, translations, rendering, summary or
  // title. Absent from stations that predate clearances (read as false).
  redacted?: boolean;
}

export interface path_status {
  path: string;
  up: boolean;
  active: boolean;
  rtt_ms: number | null;
}

export interface channel_status {
  channel: string;
  peer: string;
  peer_language?: language;
  link_up: boolean;
  active_path: string | null;
  rtt_ms: number | null;
  last_heard_ms_ago: number | null;
  peer_alive?: boolean;
  queued: number;
  unacked: number;
  paths: path_status[];
  last_link_test?: { answered_at: string | null; answered_by: string | null } | null;
  next_link_test_at?: string | null;
}

export interface station_status {
  station: string;
  station_name: string;
  agreement: string;
  channels: channel_status[];
}

export type field_type =
  | 'datetime' | 'time_window' | 'position' | 'area' | 'route' | 'altitude' | 'heading'
  | 'speed' | 'callsign' | 'text' | 'count' | 'enum' | 'reference';

export interface form_field {
  name: string;
  type: field_type;
  required: boolean;
  label: string;
  options?: { value: string; label: string }[];
  min?: number;
  max?: number;
  max_length?: number;
}

export interface form_def {
  id: string;
  title: string;
  category?: string;
  fields: form_field[];
  example?: Record<string, unknown>;
}

export interface api_error_body {
  error: { code: string; message: string; field?: string };
}
