// flaky_backend.cpp: protect a flaky backend with a tickguard circuit breaker,
// through the RAII wrapper include/tickguard.hpp.
//
// The simulated backend is healthy, then fails most calls between ticks 100
// and 400 (an outage), then recovers. A client calls it every 5 ticks
// through the breaker. The program prints every transition and checks that
// the breaker opened during the outage, spared the backend while open, and
// closed again after recovery.
#include <cstdint>
#include <cstdio>

#include "tickguard.hpp"

namespace {

// Deterministic pseudo-random backend: fails 80% of calls during the outage.
struct FlakyBackend {
  uint32_t seed = 12345;
  unsigned calls = 0;
  bool call(tickguard::Tick now) {
    calls++;
    seed = seed * 1103515245u + 12345u;
    bool outage = now >= 100 && now < 400;
    return !(outage && (seed >> 16) % 10 < 8);
  }
};

constexpr tg_breaker_config_t kConfig = {
    /*failure_threshold=*/3,
    /*open_ticks=*/50,
    /*half_open_permits=*/2,
    /*success_threshold=*/2,
    /*half_open_timeout_ticks=*/30,
    /*failure_rate_per_mille=*/0,
    /*rate_window=*/0,
    /*minimum_calls=*/0,
    /*closed_interval_ticks=*/0,
    /*open_multiplier_milli=*/0,
    /*open_jitter_per_mille=*/0,
    /*max_open_ticks=*/0,
    /*jitter_seed=*/0,
    /*external_trip_rule=*/0,
    /*half_open_failure_rate_per_mille=*/0,
    /*slow_call_ticks=*/0,
    /*slow_call_rate_per_mille=*/0,
    /*rate_duration_ticks=*/0,
};

void report(tickguard::Tick now, const tickguard::Transition &t) {
  if (t.changed) {
    std::printf("tick %3u: %s -> %s\n", static_cast<unsigned>(now), tickguard::state_name(t.from),
                tickguard::state_name(t.to));
  }
}

// A global guard with no static constructor: constant-initialised, then
// init() once before use.
tickguard::Breaker breaker{kConfig};

}  // namespace

int main() {
  using tickguard::State;
  if (tg_status_t s = breaker.init(); s != TG_OK) {
    std::fprintf(stderr, "config: %s\n", tg_status_str(s));
    return 1;
  }
  FlakyBackend backend;
  unsigned ok = 0, failed = 0, refused = 0, opened = 0, closed_after_outage = 0;
  unsigned calls_while_open = 0;
  for (tickguard::Tick now = 0; now <= 700; now += 5) {
    tickguard::Call call = breaker.acquire(now);
    report(now, call.transition());
    if (!call) {
      refused++;
      if (breaker.state(now).value == State::Open && call.has_retry_at()) {
        std::printf("tick %3u: refused, retry at %u\n", static_cast<unsigned>(now),
                    static_cast<unsigned>(call.retry_at()));
      }
      continue;
    }
    if (breaker.state(now).value == State::Open) calls_while_open++;
    bool success = backend.call(now);
    tickguard::Recorded r = success ? call.succeed(now + 1) : call.fail(now + 1);
    success ? ok++ : failed++;
    report(now + 1, r.transition);
    if (r.transition.changed && r.transition.to == State::Open) opened++;
    if (r.transition.changed && r.transition.to == State::Closed && now >= 400) {
      closed_after_outage++;
    }
  }
  std::printf("backend calls %u (ok %u, failed %u), refused by breaker %u, opened %u times\n",
              backend.calls, ok, failed, refused, opened);
  tickguard::Result<State> final_state = breaker.state(700);
  std::printf("final state: %s\n", tickguard::state_name(final_state.value));
  bool good = opened > 0 && refused > 0 && calls_while_open == 0 && closed_after_outage == 1 &&
              final_state.ok() && final_state.value == State::Closed;
  std::printf("%s\n", good ? "breaker behaved as specified" : "UNEXPECTED BEHAVIOUR");
  return good ? 0 : 1;
}
