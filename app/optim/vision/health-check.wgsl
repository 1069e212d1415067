// Health check of one Shampoo factor update, one invocation, no readback:
//   mode MODE_COUNTS:     detail = status[first_word] + status[second_word] (non-finite counts)
//   mode MODE_ROOT_FLAGS: detail = status[first_word] & KEPT_FLAGS (the inverse-root FLAGS word)
// It writes status[gate_word] = 1 when detail is 0 (the update may be committed), else 0, and on a
// failure appends the event (tensor, kind, step, detail) to the event log:
//   events[0] = events stored, events[1] = events dropped because the log was full,
//   events[HEADER_WORDS + e·ENTRY_WORDS + 0..3] = event e.
// Dispatches of one command stream run in order, so the single invocation needs no atomics.
// Injected by the host: MODE_COUNTS, MODE_ROOT_FLAGS, KEPT_FLAGS, LOG_CAPACITY, HEADER_WORDS, ENTRY_WORDS.

struct Params {
  first_word: u32,
  second_word: u32,
  gate_word: u32,
  mode: u32,
  tensor: u32,
  kind: u32,
}

// Rewritten by the host before every step.
struct Clock {
  step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> clock: Clock;
@group(0) @binding(2) var<storage, read_write> status: array<u32>;
@group(0) @binding(3) var<storage, read_write> events: array<u32>;

@compute @workgroup_size(1)
fn main() {
  var detail = 0u;
  if (params.mode == MODE_COUNTS) {
    detail = status[params.first_word] + status[params.second_word];
  } else {
    detail = status[params.first_word] & KEPT_FLAGS;
  }
  let failed = detail != 0u;
  status[params.gate_word] = select(1u, 0u, failed);
  if (!failed) {
    return;
  }

  let slot = events[0];
  if (slot >= LOG_CAPACITY) {
    events[1] = events[1] + 1u;
    return;
  }
  let base = HEADER_WORDS + slot * ENTRY_WORDS;
  events[base] = params.tensor;
  events[base + 1u] = params.kind;
  events[base + 2u] = clock.step;
  events[base + 3u] = detail;
  events[0] = slot + 1u;
}
