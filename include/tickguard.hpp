/**
 * @file tickguard.hpp
 * @brief RAII classes over the tickguard C API (tickguard.h).
 *
 * Header-only, C++17 or later, no exceptions, no RTTI, no allocation: usable
 * with `-fno-exceptions -fno-rtti` on bare metal. Hosted programs get
 * `ChronoTicks`, ticks and durations from a `std::chrono` clock. Every guard has a
 * `constexpr` constructor, so a global one can be `constinit` (C++20) or
 * constant-initialised (C++17) and live in `.bss`/`.data` with no static
 * constructor; call `init()` once before sharing it.
 *
 * Nothing folds an error into a plain `false` or a made-up state: every
 * result carries the C status, so an uninitialised object, a request above
 * a bucket's capacity and a refusal are told apart.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#ifndef TICKGUARD_HPP
#define TICKGUARD_HPP

#include <cstddef>
#include <cstdint>

/**
 * @def TICKGUARD_HAS_CHRONO
 * 1 where the standard library has `<chrono>` (hosted builds): then
 * `tickguard::ChronoTicks` is declared. 0 in freestanding builds; define it
 * to 0 before including this header to leave the helpers out.
 */
#ifndef TICKGUARD_HAS_CHRONO
#if defined(__has_include)
#if __has_include(<chrono>) && (!defined(__STDC_HOSTED__) || __STDC_HOSTED__)
#define TICKGUARD_HAS_CHRONO 1
#endif
#endif
#endif
#ifndef TICKGUARD_HAS_CHRONO
#define TICKGUARD_HAS_CHRONO 0
#endif
#if TICKGUARD_HAS_CHRONO
#include <chrono>
#endif

#include "tickguard.h"

/// C++ wrappers of the tickguard C API.
namespace tickguard {

/// A tick of the caller's monotonic 64-bit counter.
using Tick = uint64_t;

/// A breaker state.
enum class State : tg_state_t {
  Closed = TG_STATE_CLOSED,          ///< Calls flow; failures are counted.
  Open = TG_STATE_OPEN,              ///< Calls are refused until the open period ends.
  HalfOpen = TG_STATE_HALF_OPEN,     ///< A bounded number of trial calls decide.
  ForcedOpen = TG_STATE_FORCED_OPEN, ///< Manually opened: refuses until reset.
  Disabled = TG_STATE_DISABLED,      ///< Manually disabled: admits all, counts nothing.
};

/// A readable name for a state ("?" for a value the library never reports).
/// @param state the state.
/// @return a static string such as "HALF_OPEN".
constexpr const char *state_name(State state) noexcept {
  switch (state) {
    case State::Closed: return "CLOSED";
    case State::Open: return "OPEN";
    case State::HalfOpen: return "HALF_OPEN";
    case State::ForcedOpen: return "FORCED_OPEN";
    case State::Disabled: return "DISABLED";
  }
  return "?";
}

/// Why a breaker opened (`TG_TRIP_*`).
enum class TripReason : tg_trip_reason_t {
  None = TG_TRIP_NONE,                                ///< Not OPEN, or no reason known.
  ConsecutiveFailures = TG_TRIP_CONSECUTIVE_FAILURES, ///< `failure_threshold` in a row.
  FailureRate = TG_TRIP_FAILURE_RATE,                 ///< The failure-rate window's rule.
  TrialFailed = TG_TRIP_TRIAL_FAILED,                 ///< A half-open trial failed (or was slow).
  TrialTimedOut = TG_TRIP_TRIAL_TIMED_OUT,            ///< Trials undecided at their timeout.
  Manual = TG_TRIP_MANUAL,                            ///< `open_for`.
  CustomRule = TG_TRIP_CUSTOM_RULE,                   ///< The caller's trip rule.
  SlowCallRate = TG_TRIP_SLOW_CALL_RATE,              ///< The window's slow-call rule.
};

/// What Breaker::status() reports: the state an acquire would see and,
/// while OPEN, why it opened and the tick from which it admits a trial.
struct BreakerStatus {
  State state = State::Closed;              ///< As Breaker::state().
  TripReason tripped_by = TripReason::None; ///< While OPEN, why.
  bool has_trial_at = false;                ///< Whether `trial_at` is set.
  Tick trial_at = 0;                        ///< While OPEN, the first tick of a trial.
};

/// A change of state, reported to exactly one caller.
struct Transition {
  bool changed = false;         ///< Whether the call changed the state.
  State from = State::Closed;   ///< The state before (valid when `changed`).
  State to = State::Closed;     ///< The state after (valid when `changed`).

  /// Converts the C struct.
  /// @param t the C transition.
  /// @return the same transition.
  static constexpr Transition from_c(const tg_transition_t &t) noexcept {
    return Transition{t.changed, static_cast<State>(t.from), static_cast<State>(t.to)};
  }
};

/// A value, or the status that prevented it.
template <class T>
struct [[nodiscard]] Result {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK`, or why there is no value.
  T value{};                                ///< Meaningful only when `status == TG_OK`.

  /// Whether the value is there.
  /// @return `status == TG_OK`.
  constexpr bool ok() const noexcept { return status == TG_OK; }
  /// Whether the value is there.
  /// @return `status == TG_OK`.
  constexpr explicit operator bool() const noexcept { return ok(); }
};

/// What recording an outcome did.
struct Recorded {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK`, or the error that prevented recording.
  bool counted = false;                     ///< Whether the outcome counted.
  Transition transition;                    ///< The change of state it made, if any.
};

class Breaker;

/**
 * The decision of Breaker::acquire, and, when admitted, the call to report.
 *
 * Report the outcome with succeed(), fail() or ignore(). An admitted call
 * that goes out of scope (or is assigned over) unreported is recorded as
 * IGNORED at the tick it was admitted, so an early return never leaks a
 * half-open permit.
 */
class [[nodiscard]] Call {
 public:
  Call(const Call &) = delete;
  Call &operator=(const Call &) = delete;
  /// Takes over `other`'s report; `other` is left reported.
  /// @param other the call to take over.
  Call(Call &&other) noexcept
      : breaker_(other.breaker_), permit_(other.permit_), now_(other.now_),
        status_(other.status_), has_retry_at_(other.has_retry_at_), retry_at_(other.retry_at_),
        transition_(other.transition_), rule_(other.rule_), rule_context_(other.rule_context_) {
    other.breaker_ = nullptr;
  }
  /// Reports this call as IGNORED if still pending, then takes over `other`'s.
  /// @param other the call to take over.
  /// @return this call.
  Call &operator=(Call &&other) noexcept {
    if (this != &other) {
      (void)ignore(now_);
      breaker_ = other.breaker_;
      permit_ = other.permit_;
      now_ = other.now_;
      status_ = other.status_;
      has_retry_at_ = other.has_retry_at_;
      retry_at_ = other.retry_at_;
      transition_ = other.transition_;
      rule_ = other.rule_;
      rule_context_ = other.rule_context_;
      other.breaker_ = nullptr;
    }
    return *this;
  }
  ~Call() { (void)ignore(now_); }

  /// Whether the breaker admitted the call.
  /// @return `status() == TG_OK`.
  constexpr explicit operator bool() const noexcept { return status_ == TG_OK; }
  /// `TG_OK` (admitted), `TG_REFUSED`, or the error that prevented a
  /// decision (such as `TG_E_UNINITIALIZED`).
  /// @return the status of the acquire.
  constexpr tg_status_t status() const noexcept { return status_; }
  /// Whether the call was refused and the breaker named a tick to retry at
  /// (false while FORCED_OPEN).
  /// @return whether retry_at() is meaningful.
  constexpr bool has_retry_at() const noexcept { return has_retry_at_; }
  /// When refused: the tick to retry at (see has_retry_at()).
  /// @return the tick.
  constexpr Tick retry_at() const noexcept { return retry_at_; }
  /// The change of state acquiring made, if any.
  /// @return the transition.
  constexpr const Transition &transition() const noexcept { return transition_; }
  /// When admitted: the tick the call was admitted at, from which a slow
  /// call is measured.
  /// @return the tick.
  constexpr Tick acquired_at() const noexcept { return permit_.acquired_at; }

  /// Reports success. @param now the current tick. @return what was recorded.
  Recorded succeed(Tick now) noexcept { return finish(TG_OUTCOME_SUCCESS, now); }
  /// Reports a failure. @param now the current tick. @return what was recorded.
  Recorded fail(Tick now) noexcept { return finish(TG_OUTCOME_FAILURE, now); }
  /// Reports neither (hands a half-open permit back). @param now the current
  /// tick. @return what was recorded.
  Recorded ignore(Tick now) noexcept { return finish(TG_OUTCOME_IGNORED, now); }

 private:
  friend class Breaker;
  Call(tg_breaker_t *breaker, Tick now, tg_status_t status, const tg_breaker_decision_t &d,
       tg_trip_rule_fn rule, uintptr_t rule_context) noexcept
      : breaker_(status == TG_OK ? breaker : nullptr), permit_(d.permit), now_(now),
        status_(status), has_retry_at_(status == TG_REFUSED && d.has_retry_at),
        retry_at_(d.retry_at), transition_(Transition::from_c(d.transition)), rule_(rule),
        rule_context_(rule_context) {}

  Recorded finish(tg_outcome_t outcome, Tick now) noexcept {
    Recorded recorded;
    if (breaker_ == nullptr) return recorded;
    tg_record_t r{};
    recorded.status =
        tg_breaker_record_rule(breaker_, permit_, outcome, now, rule_, rule_context_, &r);
    recorded.counted = r.counted;
    recorded.transition = Transition::from_c(r.transition);
    breaker_ = nullptr;
    return recorded;
  }

  tg_breaker_t *breaker_;
  tg_permit_t permit_;
  Tick now_;
  tg_status_t status_;
  bool has_retry_at_;
  Tick retry_at_;
  Transition transition_;
  tg_trip_rule_fn rule_;
  uintptr_t rule_context_;
};

/// The defaults: 5 failures, 60 000-tick open period, 3
/// half-open permits, 2 successes, 60 000-tick half-open timeout, no
/// failure-rate window, counts never cleared while CLOSED, open periods
/// that neither grow nor spread, no call slow.
inline constexpr tg_breaker_config_t kDefaultBreakerConfig = {
    TG_BREAKER_DEFAULT_FAILURE_THRESHOLD, TG_BREAKER_DEFAULT_OPEN_TICKS,
    TG_BREAKER_DEFAULT_HALF_OPEN_PERMITS, TG_BREAKER_DEFAULT_SUCCESS_THRESHOLD,
    TG_BREAKER_DEFAULT_HALF_OPEN_TIMEOUT_TICKS, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

/**
 * A breaker configuration that opens on a failure rate as well as (or
 * instead of) consecutive failures: `per_mille` thousandths of the last
 * `window` outcomes in CLOSED, once `minimum_calls` are in (0: the whole
 * window).
 *
 * ```cpp
 * // gobreaker's ratio rule: at least 3 calls, 60 % failing.
 * constexpr tg_breaker_config_t kRatio =
 *     tickguard::with_failure_rate(tickguard::kDefaultBreakerConfig, 600, 3, 3);
 * ```
 * @param base the other settings (its failure_threshold may be 0: off).
 * @param per_mille the failure rate that opens the breaker (1 .. 1000).
 * @param window the outcomes the rate is measured over (1 .. 64).
 * @param minimum_calls outcomes needed before the rate is judged.
 * @return `base` with the failure-rate fields set (validated by init()).
 */
constexpr tg_breaker_config_t with_failure_rate(tg_breaker_config_t base, uint32_t per_mille,
                                                uint32_t window,
                                                uint32_t minimum_calls = 0) noexcept {
  base.failure_rate_per_mille = per_mille;
  base.rate_window = window;
  base.minimum_calls = minimum_calls;
  return base;
}

/**
 * A breaker configuration that measures its rates over time: the outcomes
 * of the last `duration_ticks` (Resilience4j's TIME_BASED window, Polly's
 * sampling duration), in 4 buckets that roll as the breaker's clock moves,
 * instead of the last `rate_window` outcomes; `per_mille` thousandths
 * failing opens it once `minimum_calls` are in.
 *
 * ```cpp
 * // Half of the calls of the last 10 s (at 1 kHz) failing, 20 at least.
 * constexpr tg_breaker_config_t kOverTime =
 *     tickguard::with_time_window(tickguard::kDefaultBreakerConfig, 10'000, 500, 20);
 * ```
 * @param base the other settings (its failure_threshold may be 0: off; a
 *   slow-call rate set in it is measured over the same time).
 * @param duration_ticks the time the rates are measured over (1 .. 2^62).
 * @param per_mille the failure rate that opens the breaker (0 .. 1000; 0:
 *   a slow-call rate alone).
 * @param minimum_calls outcomes needed before a rate is judged (0 .. 127;
 *   0: one).
 * @return `base` with the window fields set (`rate_window` 0; validated by
 *   init()).
 */
constexpr tg_breaker_config_t with_time_window(tg_breaker_config_t base, uint64_t duration_ticks,
                                               uint32_t per_mille,
                                               uint32_t minimum_calls = 0) noexcept {
  base.rate_duration_ticks = duration_ticks;
  base.failure_rate_per_mille = per_mille;
  base.rate_window = 0;
  base.minimum_calls = minimum_calls;
  return base;
}

/**
 * A breaker configuration whose CLOSED state clears its counts (the failure
 * run and the failure-rate window) every `ticks`, as gobreaker's
 * `Interval`: failures spread thinner than the rule asks never add up.
 *
 * ```cpp
 * // 5 consecutive failures within one minute (1 kHz ticks).
 * constexpr tg_breaker_config_t kPerMinute =
 *     tickguard::with_closed_interval(tickguard::kDefaultBreakerConfig, 60'000);
 * ```
 * @param base the other settings.
 * @param ticks the interval (1 .. 2^62; 0: never clear).
 * @return `base` with `closed_interval_ticks` set (validated by init()).
 */
constexpr tg_breaker_config_t with_closed_interval(tg_breaker_config_t base,
                                                   uint64_t ticks) noexcept {
  base.closed_interval_ticks = ticks;
  return base;
}

/**
 * A breaker configuration whose open periods grow with each failed (or
 * timed-out) trial period, `min(max_open_ticks, open_ticks × (multiplier /
 * 1000)^reopenings)`, back to `open_ticks` once it closes, each spread by
 * ±`jitter_per_mille` thousandths drawn from `seed`.
 *
 * ```cpp
 * // Double up to 10 minutes, ±10 %, a seed per device.
 * constexpr tg_breaker_config_t kBackingOff = tickguard::with_growing_open(
 *     tickguard::kDefaultBreakerConfig, 2000, 600'000, 100, 0x5eed);
 * ```
 * @param base the other settings.
 * @param multiplier_milli the growth per reopening (1000 .. 10^6; 0: none).
 * @param max_open_ticks the longest period (open_ticks .. 2^62; 0: 2^62).
 * @param jitter_per_mille the spread (0 .. 1000).
 * @param seed the caller's entropy for the spread.
 * @return `base` with the open-period fields set (validated by init()).
 */
constexpr tg_breaker_config_t with_growing_open(tg_breaker_config_t base,
                                                uint32_t multiplier_milli,
                                                uint64_t max_open_ticks,
                                                uint32_t jitter_per_mille = 0,
                                                uint64_t seed = 0) noexcept {
  base.open_multiplier_milli = multiplier_milli;
  base.max_open_ticks = max_open_ticks;
  base.open_jitter_per_mille = jitter_per_mille;
  base.jitter_seed = seed;
  return base;
}

/**
 * A breaker configuration whose trial periods are decided by their failure
 * rate (Resilience4j's half-open rule): once all `half_open_permits` trials
 * are reported, `per_mille` thousandths or more failing reopens it, fewer
 * close it.
 *
 * ```cpp
 * // 10 trials; half or more failing reopens.
 * tg_breaker_config_t config = tickguard::kDefaultBreakerConfig;
 * config.half_open_permits = 10;
 * config = tickguard::with_half_open_failure_rate(config, 500);
 * ```
 * @param base the other settings.
 * @param per_mille the share of failed trials that reopens (1 .. 1000; 0: the first failure).
 * @return `base` with `half_open_failure_rate_per_mille` set (validated by init()).
 */
constexpr tg_breaker_config_t with_half_open_failure_rate(tg_breaker_config_t base,
                                                          uint32_t per_mille) noexcept {
  base.half_open_failure_rate_per_mille = per_mille;
  return base;
}

/**
 * A breaker configuration that tells slow calls (Resilience4j's slow-call
 * rate): a call reported more than `slow_call_ticks` after its admission is
 * slow (counted in `tg_breaker_counts_t::slow`; a slow success is still a
 * success); with `per_mille`, that share of slow calls among the last
 * `window` outcomes (at least `minimum_calls`) opens the breaker, and a
 * slow trial fails its trial period.
 *
 * ```cpp
 * // Calls over 2 s (at 1 kHz) are slow; 80 % slow of the last 20 opens.
 * constexpr tg_breaker_config_t kLatencyGuard =
 *     tickguard::with_slow_calls(tickguard::kDefaultBreakerConfig, 2000, 800, 20, 10);
 * ```
 * @param base the other settings.
 * @param slow_call_ticks slower than this is slow (1 .. 2^62; 0: never).
 * @param per_mille the slow-call rate that opens (1 .. 1000; 0: count only).
 * @param window the outcomes the rate is measured over (1 ..
 *   `TG_BREAKER_MAX_SLOW_RATE_WINDOW`; 0: keep `base.rate_window`).
 * @param minimum_calls outcomes needed before the rate is judged (0: the
 *   whole window; kept from `base` when `window` is 0).
 * @return `base` with the slow-call fields set (validated by init()).
 */
constexpr tg_breaker_config_t with_slow_calls(tg_breaker_config_t base, uint64_t slow_call_ticks,
                                              uint32_t per_mille = 0, uint32_t window = 0,
                                              uint32_t minimum_calls = 0) noexcept {
  base.slow_call_ticks = slow_call_ticks;
  base.slow_call_rate_per_mille = per_mille;
  if (window != 0) {
    base.rate_window = window;
    base.minimum_calls = minimum_calls;
  }
  return base;
}

/**
 * A circuit breaker. Not copyable or movable: the C object must stay where
 * it was initialised.
 *
 * @code
 * constinit tickguard::Breaker breaker{tickguard::kDefaultBreakerConfig};
 * // once, before sharing: if (breaker.init() != TG_OK) ...
 * if (tickguard::Call call = breaker.acquire(now)) {
 *   backend() ? call.succeed(now) : call.fail(now);
 * }
 * @endcode
 */
class Breaker {
 public:
  /// Holds `config`; the breaker works after init().
  /// @param config the configuration (copied).
  constexpr explicit Breaker(const tg_breaker_config_t &config = kDefaultBreakerConfig) noexcept
      : config_(config) {}
  /// Holds `config` and a trip rule of the caller's (gobreaker's
  /// `ReadyToTrip`), judged on every report of this breaker's calls; with
  /// it, `failure_threshold` may be 0. The breaker works after init().
  /// @param config the configuration (copied).
  /// @param rule the rule: `(consecutive_failures, calls, failures, context)`.
  /// @param context passed to `rule` as it is.
  constexpr Breaker(const tg_breaker_config_t &config, tg_trip_rule_fn rule,
                    uintptr_t context = 0) noexcept
      : config_(with_external_rule(config)), rule_(rule), rule_context_(context) {}
  Breaker(const Breaker &) = delete;
  Breaker &operator=(const Breaker &) = delete;

  /// Validates the configuration and initialises the breaker as CLOSED. Call
  /// once, before sharing the object.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, or the `TG_E_CONFIG_*`
  ///   code of the first invalid field.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_breaker_init_ex(&breaker_, &config_, flags);
  }

  /// Asks to make a call at `now`; test the result with `if (call)`.
  /// @param now the current tick.
  /// @return the decision, holding the permit when admitted.
  [[nodiscard]] Call acquire(Tick now) noexcept {
    tg_breaker_decision_t d{};
    tg_status_t s = tg_breaker_acquire(&breaker_, now, &d);
    return Call(&breaker_, now, s, d, rule_, rule_context_);
  }

  /// The state an acquire at `now` would see.
  /// @param now the current tick.
  /// @return the state, or the status that prevented reading it.
  [[nodiscard]] Result<State> state(Tick now) const noexcept {
    tg_state_t out = TG_STATE_CLOSED;
    tg_status_t s = tg_breaker_state(&breaker_, now, &out);
    return Result<State>{s, static_cast<State>(out)};
  }
  /// The state an acquire at `now` would see and, while OPEN, why it opened
  /// and the tick from which it admits a trial.
  /// @param now the current tick.
  /// @return the status, or the status code that prevented reading it.
  [[nodiscard]] Result<BreakerStatus> status(Tick now) const noexcept {
    tg_breaker_status_t out{};
    tg_status_t s = tg_breaker_status(&breaker_, now, &out);
    BreakerStatus status{static_cast<State>(out.state), static_cast<TripReason>(out.tripped_by),
                         out.has_trial_at, out.trial_at};
    return Result<BreakerStatus>{s, status};
  }
  /// What the breaker decided since init(): each decision counted once
  /// (wrapping 32-bit counters; `transitions` indexed by `TG_STATE_*`).
  /// @return the counters, or the status that prevented reading them.
  [[nodiscard]] Result<tg_breaker_counts_t> counts() const noexcept {
    tg_breaker_counts_t out{};
    tg_status_t s = tg_breaker_counts(&breaker_, &out);
    return Result<tg_breaker_counts_t>{s, out};
  }
  /// What the failure-rate window holds: the outcomes counted in CLOSED
  /// since the breaker last closed or was reset (both 0 without a window).
  /// @return the counts, or the status that prevented reading them.
  [[nodiscard]] Result<tg_breaker_window_counts_t> window_counts() const noexcept {
    tg_breaker_window_counts_t out{};
    tg_status_t s = tg_breaker_window_counts(&breaker_, &out);
    return Result<tg_breaker_window_counts_t>{s, out};
  }
  /// Refuses every call until reset(). @return the transition.
  Result<Transition> force_open() noexcept { return control(tg_breaker_force_open); }
  /// Admits every call, counting nothing, until reset(). @return the transition.
  Result<Transition> disable() noexcept { return control(tg_breaker_disable); }
  /// Returns to CLOSED with no failures counted. @return the transition.
  Result<Transition> reset() noexcept { return control(tg_breaker_reset); }
  /// Opens for `ticks` from `now` (a server's Retry-After).
  /// @param ticks how long to stay open.
  /// @param now the current tick.
  /// @return the tick the open period ends at.
  Result<Tick> open_for(Tick ticks, Tick now) noexcept {
    Tick until = 0;
    tg_status_t s = tg_breaker_open_for(&breaker_, ticks, now, &until, nullptr);
    return Result<Tick>{s, until};
  }

  /// Saves the breaker's state at `now` (a reboot-proof snapshot, relative to `now`).
  /// @param now the current tick.
  /// @param out receives the `TG_BREAKER_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_BREAKER_SNAPSHOT_SIZE]) const noexcept {
    return tg_breaker_snapshot(&breaker_, now, out, sizeof out);
  }
  /// Restores the breaker's state from a snapshot, as of `now` (the tick counter may have
  /// restarted at 0 since it was taken).
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the object is left fresh),
  ///   or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_breaker_restore(&breaker_, bytes, len, now);
  }

  /// The C object, for calls the wrapper does not cover.
  /// @return the C object.
  tg_breaker_t *raw() noexcept { return &breaker_; }

 private:
  Result<Transition> control(tg_status_t (*fn)(tg_breaker_t *, tg_transition_t *)) noexcept {
    tg_transition_t t{};
    tg_status_t s = fn(&breaker_, &t);
    return Result<Transition>{s, Transition::from_c(t)};
  }

  static constexpr tg_breaker_config_t with_external_rule(tg_breaker_config_t config) noexcept {
    config.external_trip_rule = 1;
    return config;
  }

  tg_breaker_config_t config_;
  tg_breaker_t breaker_{};
  tg_trip_rule_fn rule_ = nullptr;
  uintptr_t rule_context_ = 0;
};

/// The decision of Bucket::acquire.
struct [[nodiscard]] Grant {
  /// `TG_OK` (taken), `TG_REFUSED` (see retry_at), `TG_E_EXCEEDS_CAPACITY`
  /// (can never succeed), or another error.
  tg_status_t status = TG_E_UNINITIALIZED;
  Tick retry_at = 0;  ///< When refused: the earliest tick the tokens exist.

  /// Whether the tokens were taken.
  /// @return `status == TG_OK`.
  constexpr explicit operator bool() const noexcept { return status == TG_OK; }
  /// Whether this was a refusal to retry at retry_at.
  /// @return `status == TG_REFUSED`.
  constexpr bool refused() const noexcept { return status == TG_REFUSED; }
};

/**
 * A token bucket. Not copyable or movable.
 *
 * @code
 * constinit tickguard::Bucket bucket{tg_bucket_config_t{10, 1, 100, TG_BUCKET_FULL}};
 * if (tickguard::Grant grant = bucket.acquire(1, now)) serve();
 * else if (grant.refused()) schedule(grant.retry_at);
 * @endcode
 */
class Bucket {
 public:
  /// Holds `config`; the bucket works after init().
  /// @param config the configuration (copied).
  constexpr explicit Bucket(const tg_bucket_config_t &config) noexcept : config_(config) {}
  Bucket(const Bucket &) = delete;
  Bucket &operator=(const Bucket &) = delete;

  /// Validates the configuration and fills the bucket. Call once, before
  /// sharing the object.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, or the `TG_E_CONFIG_*`
  ///   code of the first invalid field.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_bucket_init_ex(&bucket_, &config_, flags);
  }

  /// Takes `n` tokens at `now`.
  /// @param n how many tokens.
  /// @param now the current tick.
  /// @return the decision.
  [[nodiscard]] Grant acquire(uint32_t n, Tick now) noexcept {
    Grant grant;
    grant.status = tg_bucket_acquire(&bucket_, n, now, &grant.retry_at);
    return grant;
  }
  /// Whole tokens available at `now`.
  /// @param now the current tick.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> available(Tick now) const noexcept {
    uint32_t out = 0;
    tg_status_t s = tg_bucket_available(&bucket_, now, &out);
    return Result<uint32_t>{s, out};
  }
  /// Replaces the configuration while callers use the bucket, carrying its tokens at `now`
  /// (clamped to the new capacity). (init() with `TG_INIT_REINIT` starts again from the
  /// constructor's configuration.)
  /// @param config the new configuration (validated and copied). @param now the current tick.
  /// @return `TG_OK`, a configuration error, `TG_E_BUSY` (another reconfiguration is under
  ///   way; nothing changed) or an object error.
  tg_status_t reconfigure(const tg_bucket_config_t &config, Tick now) noexcept {
    return tg_bucket_reconfigure(&bucket_, &config, now);
  }
  /// Refills the bucket to its initial fill.
  /// @return `TG_OK` or `TG_E_UNINITIALIZED`.
  tg_status_t reset() noexcept { return tg_bucket_reset(&bucket_); }

  /// Saves the bucket's tokens at `now` (a reboot-proof snapshot, relative to `now`).
  /// @param now the current tick.
  /// @param out receives the `TG_BUCKET_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_BUCKET_SNAPSHOT_SIZE]) const noexcept {
    return tg_bucket_snapshot(&bucket_, now, out, sizeof out);
  }
  /// Restores the bucket's tokens from a snapshot, as of `now` (the tick counter may have
  /// restarted at 0 since it was taken).
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the object is left fresh),
  ///   or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_bucket_restore(&bucket_, bytes, len, now);
  }

  /// The C object, for calls the wrapper does not cover.
  /// @return the C object.
  tg_bucket_t *raw() noexcept { return &bucket_; }

 private:
  tg_bucket_config_t config_;
  tg_bucket_t bucket_{};
};

/**
 * A word the program keeps outside the process (a Redis key through
 * hiredis, shared memory, etcd), run by tickguard's machines through two
 * member functions of `Store`:
 *
 * - `bool load(tg_cell_word_t &out)`: the word (all zeros for none);
 *   false on failure;
 * - `int compare_and_set(const tg_cell_word_t &expected, const tg_cell_word_t &desired,
 *   tg_cell_word_t &found)`: 0 when `desired` was installed, 1 with the
 *   current word in `found` when it was not `expected`, negative on
 *   failure.
 *
 * Failures are `TG_E_CELL`; `max_attempts` conflicts in one call are
 * `TG_E_CONTENDED` (0: 16). Holds a reference to `store`; no state of its
 * own. See docs/redis.md.
 *
 * @code
 * tickguard::Cell<MyRedisKey> cell{key};
 * if (tickguard::Grant grant = cell.acquire(limit_config, 1, server_now)) serve();
 * @endcode
 */
template <class Store>
class Cell {
 public:
  /// Runs machines over `store`'s word.
  /// @param store the word's keeper (referenced, not copied).
  /// @param max_attempts compare-and-sets per call (0: 16).
  explicit Cell(Store &store, uint32_t max_attempts = 0) noexcept
      : cell_{&store, &Cell::load_word, &Cell::compare_and_set_word, max_attempts} {}

  /// Takes `n` tokens at `now` from the bucket `config` describes.
  /// @param config the bucket's configuration. @param n how many tokens.
  /// @param now the current tick, on the clock every user of the word shares.
  /// @return the decision (`TG_E_CELL`, `TG_E_CONTENDED` or a configuration error as its status).
  [[nodiscard]] Grant acquire(const tg_bucket_config_t &config, uint32_t n, Tick now) noexcept {
    Grant grant;
    grant.status = tg_bucket_cell_acquire(&config, &cell_, n, now, &grant.retry_at);
    return grant;
  }
  /// Asks the breaker `config` describes (consecutive failures only) to
  /// admit a call at `now`.
  /// @param config the breaker's configuration. @param now the current tick.
  /// @return `TG_OK` with the permit, `TG_REFUSED` with `retry_at`, or an error.
  [[nodiscard]] Result<tg_breaker_decision_t> admit(const tg_breaker_config_t &config, Tick now) noexcept {
    Result<tg_breaker_decision_t> result;
    result.status = tg_breaker_cell_acquire(&config, &cell_, now, &result.value);
    return result;
  }
  /// Reports how the call `permit` admitted went.
  /// @param config the breaker's configuration. @param permit from admit().
  /// @param outcome a `TG_OUTCOME_*`. @param now the current tick.
  /// @return what was recorded, or the status that prevented it.
  [[nodiscard]] Result<tg_record_t> report(const tg_breaker_config_t &config, tg_permit_t permit,
                                           tg_outcome_t outcome, Tick now) noexcept {
    Result<tg_record_t> result;
    result.status = tg_breaker_cell_record(&config, &cell_, permit, outcome, now, &result.value);
    return result;
  }
  /// The C cell, for calls the wrapper does not cover.
  /// @return the C cell.
  const tg_cell_t *raw() const noexcept { return &cell_; }

 private:
  static int32_t load_word(void *context, tg_cell_word_t *out) noexcept {
    return static_cast<Store *>(context)->load(*out) ? 0 : -1;
  }
  static int32_t compare_and_set_word(void *context, tg_cell_word_t expected, tg_cell_word_t desired,
                                      tg_cell_word_t *found) noexcept {
    return static_cast<Store *>(context)->compare_and_set(expected, desired, *found);
  }
  tg_cell_t cell_;
};

/// The decision of Shaper::schedule.
struct [[nodiscard]] Departure {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK` scheduled, `TG_REFUSED` (wait too long), or an error.
  Tick send_at = 0;   ///< When scheduled: the tick at which to send.
  Tick retry_at = 0;  ///< When refused: the tick from which the wait would be short enough.

  /// Whether the request was scheduled.
  /// @return `status == TG_OK`.
  constexpr explicit operator bool() const noexcept { return status == TG_OK; }
};

/**
 * A leaky bucket as a queue (a traffic shaper): schedule() says when to
 * send so that the output never exceeds the rate, refusing requests that
 * would wait more than `max_wait_ticks`. Not copyable or movable.
 *
 * @code
 * constinit tickguard::Shaper shaper{tg_shaper_config_t{1, 10, 1000, 2000}};
 * if (tickguard::Departure d = shaper.schedule(1, now)) send_at(d.send_at, request);
 * else reject(request);
 * @endcode
 */
class Shaper {
 public:
  /// Holds `config`; the shaper works after init().
  /// @param config the configuration (copied).
  constexpr explicit Shaper(const tg_shaper_config_t &config) noexcept : config_(config) {}
  Shaper(const Shaper &) = delete;
  Shaper &operator=(const Shaper &) = delete;

  /// Validates the configuration. Call once, before sharing the object.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, or the `TG_E_CONFIG_*` code of the first invalid field.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_shaper_init_ex(&shaper_, &config_, flags);
  }
  /// Reserves `n` tokens at `now` and says when to send them.
  /// @param n how many tokens. @param now the current tick.
  /// @return the send tick, or the refusal and when to retry.
  [[nodiscard]] Departure schedule(uint32_t n, Tick now) noexcept {
    Departure departure;
    departure.status = tg_shaper_schedule(&shaper_, n, now, &departure.send_at, &departure.retry_at);
    return departure;
  }
  /// Replaces the configuration while callers use the shaper, at `now`: tokens carry over,
  /// sends given keep their ticks, and a queue is kept as time.
  /// @param config the new configuration (validated and copied). @param now the current tick.
  /// @return `TG_OK`, a configuration error, `TG_E_BUSY` or an object error.
  tg_status_t reconfigure(const tg_shaper_config_t &config, Tick now) noexcept {
    return tg_shaper_reconfigure(&shaper_, &config, now);
  }
  /// Empties the queue.
  /// @return `TG_OK` or an object error.
  tg_status_t reset() noexcept { return tg_shaper_reset(&shaper_); }
  /// Saves the queue (a reboot-proof snapshot, relative to `now`).
  /// @param now the current tick.
  /// @param out receives the `TG_SHAPER_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_SHAPER_SNAPSHOT_SIZE]) const noexcept {
    return tg_shaper_snapshot(&shaper_, now, out, sizeof out);
  }
  /// Restores the queue from a snapshot, as of `now`.
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the shaper is left fresh), or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_shaper_restore(&shaper_, bytes, len, now);
  }
  /// The C object, for calls the wrapper does not cover.
  /// @return the C object.
  tg_shaper_t *raw() noexcept { return &shaper_; }

 private:
  tg_shaper_config_t config_;
  tg_shaper_t shaper_{};
};

/**
 * A sliding-window counter: at most `limit` events per `window_ticks`,
 * estimated from the current and previous fixed windows (Cloudflare's and
 * Envoy's approximation; fewer than 2 × limit in any window, at most limit
 * per fixed window). Refusals only read. Not copyable or movable.
 *
 * @code
 * constinit tickguard::SlidingWindow per_minute{tg_sliding_window_config_t{100, 60000}};
 * if (tickguard::Grant grant = per_minute.acquire(1, now)) serve();
 * else if (grant.refused()) reply_429(grant.retry_at);
 * @endcode
 */
class SlidingWindow {
 public:
  /// Holds `config`; the counter works after init().
  /// @param config the configuration (copied).
  constexpr explicit SlidingWindow(const tg_sliding_window_config_t &config) noexcept : config_(config) {}
  SlidingWindow(const SlidingWindow &) = delete;
  SlidingWindow &operator=(const SlidingWindow &) = delete;

  /// Validates the configuration. Call once, before sharing the object.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, `TG_E_CONFIG_LIMIT` or `TG_E_CONFIG_WINDOW`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_sliding_window_init_ex(&window_, &config_, flags);
  }
  /// Counts `n` events at `now`, or refuses.
  /// @param n how many events. @param now the current tick.
  /// @return the decision.
  [[nodiscard]] Grant acquire(uint32_t n, Tick now) noexcept {
    Grant grant;
    grant.status = tg_sliding_window_acquire(&window_, n, now, &grant.retry_at);
    return grant;
  }
  /// Events that would fit at `now`.
  /// @param now the current tick.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> available(Tick now) const noexcept {
    Result<uint32_t> out;
    out.status = tg_sliding_window_available(&window_, now, &out.value);
    return out;
  }
  /// Replaces the configuration while callers use the counter: the counts stay, a new limit
  /// applies at once, a new window from the current window's start. (init() with
  /// `TG_INIT_REINIT` starts again from the constructor's configuration.)
  /// @param config the new configuration (validated and copied).
  /// @return `TG_OK`, `TG_E_CONFIG_LIMIT`, `TG_E_CONFIG_WINDOW` or an object error.
  tg_status_t reconfigure(const tg_sliding_window_config_t &config) noexcept {
    return tg_sliding_window_reconfigure(&window_, &config);
  }
  /// Forgets every count.
  /// @return `TG_OK` or an object error.
  tg_status_t reset() noexcept { return tg_sliding_window_reset(&window_); }
  /// Saves the counts (a reboot-proof snapshot, relative to `now`).
  /// @param now the current tick.
  /// @param out receives the `TG_SLIDING_WINDOW_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_SLIDING_WINDOW_SNAPSHOT_SIZE]) const noexcept {
    return tg_sliding_window_snapshot(&window_, now, out, sizeof out);
  }
  /// Restores the counts from a snapshot, as of `now`.
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the counter is left fresh), or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_sliding_window_restore(&window_, bytes, len, now);
  }
  /// The C object, for calls the wrapper does not cover.
  /// @return the C object.
  tg_sliding_window_t *raw() noexcept { return &window_; }

 private:
  tg_sliding_window_config_t config_;
  tg_sliding_window_t window_{};
};

class Bulkhead;

/**
 * A slot taken from a Bulkhead, given back when it goes out of scope (or is
 * assigned over), so a call never leaks its slot or frees it twice.
 * Movable, not copyable.
 */
class [[nodiscard]] BulkheadSlot {
 public:
  BulkheadSlot() noexcept = default;
  BulkheadSlot(const BulkheadSlot &) = delete;
  BulkheadSlot &operator=(const BulkheadSlot &) = delete;
  /// Takes over `other`'s slot.
  /// @param other the slot to take over; it holds nothing afterwards.
  BulkheadSlot(BulkheadSlot &&other) noexcept : bulkhead_(other.bulkhead_), permit_(other.permit_) { other.permit_ = 0; }
  /// Gives back this slot (if any), then takes over `other`'s.
  /// @param other the slot to take over. @return this slot.
  BulkheadSlot &operator=(BulkheadSlot &&other) noexcept {
    if (this != &other) {
      release();
      bulkhead_ = other.bulkhead_;
      permit_ = other.permit_;
      other.permit_ = 0;
    }
    return *this;
  }
  ~BulkheadSlot() { release(); }

  /// `TG_OK` when a slot was taken, `TG_REFUSED` when the bulkhead was full, or an error.
  tg_status_t status = TG_E_UNINITIALIZED;
  /// When refused: the tick until which the caller may keep trying (0: give up now).
  Tick wait_until = 0;

  /// Whether a slot is held.
  /// @return `true` while this object holds a slot.
  constexpr explicit operator bool() const noexcept { return permit_ != 0; }
  /// Gives the slot back now (nothing if none is held).
  /// @return `TG_OK`, or `TG_E_NOT_HELD` if the bulkhead was reset meanwhile.
  inline tg_status_t release() noexcept;

 private:
  friend class Bulkhead;
  tg_bulkhead_t *bulkhead_ = nullptr;
  tg_bulkhead_permit_t permit_ = 0;
};

/**
 * A bulkhead: at most `max_concurrent` (≤ 64) calls in flight. enter()
 * returns a BulkheadSlot that gives its slot back when it leaves scope.
 * Not copyable or movable.
 *
 * @code
 * constinit tickguard::Bulkhead pool{tg_bulkhead_config_t{4, 0}};
 * if (tickguard::BulkheadSlot slot = pool.enter(now)) call_backend();  // released here
 * else shed_load();
 * @endcode
 */
class Bulkhead {
 public:
  /// Holds `config`; the bulkhead works after init().
  /// @param config the configuration (copied).
  constexpr explicit Bulkhead(const tg_bulkhead_config_t &config) noexcept : config_(config) {}
  Bulkhead(const Bulkhead &) = delete;
  Bulkhead &operator=(const Bulkhead &) = delete;

  /// Validates the configuration. Call once, before sharing the object.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, `TG_E_CONFIG_MAX_CONCURRENT` or `TG_E_CONFIG_MAX_WAIT`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_bulkhead_init_ex(&bulkhead_, &config_, flags);
  }
  /// Takes a slot at `now` for the life of the returned BulkheadSlot.
  /// @param now the current tick.
  /// @return the slot (true when held), or the refusal.
  [[nodiscard]] BulkheadSlot enter(Tick now) noexcept {
    BulkheadSlot slot;
    tg_bulkhead_permit_t permit = 0;
    slot.status = tg_bulkhead_acquire(&bulkhead_, now, &permit, &slot.wait_until);
    if (slot.status == TG_OK) {
      slot.bulkhead_ = &bulkhead_;
      slot.permit_ = permit;
    }
    return slot;
  }
  /// Calls in flight.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> in_flight() const noexcept {
    Result<uint32_t> out;
    out.status = tg_bulkhead_in_flight(&bulkhead_, &out.value);
    return out;
  }
  /// Frees every slot (slots held become stale).
  /// @return `TG_OK` or an object error.
  tg_status_t reset() noexcept { return tg_bulkhead_reset(&bulkhead_); }
  /// Replaces `max_concurrent` and `max_wait` while callers use the bulkhead (calls in flight
  /// keep their slots; the limit goes up to the slots laid out at init).
  /// @param config the new configuration (validated and copied).
  /// @return `TG_OK`, `TG_E_CONFIG_MAX_CONCURRENT`, `TG_E_CONFIG_MAX_WAIT` or an object error.
  tg_status_t reconfigure(const tg_bulkhead_config_t &config) noexcept {
    return tg_bulkhead_reconfigure(&bulkhead_, &config);
  }
  /// The C object, for calls the wrapper does not cover.
  /// @return the C object.
  tg_bulkhead_t *raw() noexcept { return &bulkhead_; }

 private:
  tg_bulkhead_config_t config_;
  tg_bulkhead_t bulkhead_{};
};

inline tg_status_t BulkheadSlot::release() noexcept {
  if (permit_ == 0) return TG_OK;
  tg_status_t s = tg_bulkhead_release(bulkhead_, permit_);
  permit_ = 0;
  return s;
}

class AdaptiveLimit;

/**
 * A slot taken from an AdaptiveLimit: finish() it with the call's sample;
 * when it goes out of scope unfinished (or is assigned over) it is given
 * back as `TG_SAMPLE_IGNORED`. Movable, not copyable.
 */
class [[nodiscard]] AdaptiveSlot {
 public:
  AdaptiveSlot() noexcept = default;
  AdaptiveSlot(const AdaptiveSlot &) = delete;
  AdaptiveSlot &operator=(const AdaptiveSlot &) = delete;
  /// Takes over `other`'s slot.
  /// @param other the slot to take over; it holds nothing afterwards.
  AdaptiveSlot(AdaptiveSlot &&other) noexcept : limit_(other.limit_), permit_(other.permit_) { other.permit_ = 0; }
  /// Gives back this slot (if any, as ignored), then takes over `other`'s.
  /// @param other the slot to take over. @return this slot.
  AdaptiveSlot &operator=(AdaptiveSlot &&other) noexcept {
    if (this != &other) {
      (void)finish(TG_SAMPLE_IGNORED, 0);
      limit_ = other.limit_;
      permit_ = other.permit_;
      other.permit_ = 0;
    }
    return *this;
  }
  ~AdaptiveSlot() { (void)finish(TG_SAMPLE_IGNORED, 0); }

  /// `TG_OK` when a slot was taken, `TG_REFUSED` when the limit was reached, or an error.
  tg_status_t status = TG_E_UNINITIALIZED;
  /// When refused: the tick until which the caller may keep trying (0: give up now).
  Tick wait_until = 0;

  /// Whether a slot is held.
  /// @return `true` while this object holds a slot.
  constexpr explicit operator bool() const noexcept { return permit_ != 0; }
  /// Gives the slot back with the call's sample (nothing if none is held).
  /// @param sample a `TG_SAMPLE_*` value. @param latency_ticks how long the call took.
  /// @return the change of the limit this made (`changed` false if none), or the status that prevented it.
  inline Result<tg_limit_change_t> finish(tg_sample_t sample, Tick latency_ticks) noexcept;

 private:
  friend class AdaptiveLimit;
  tg_adaptive_t *limit_ = nullptr;
  tg_bulkhead_permit_t permit_ = 0;
};

/**
 * An adaptive concurrency limit: a bulkhead of at most `max_limit` (≤ 64)
 * slots whose limit follows the calls' samples by AIMD (a dropped or slow
 * call multiplies it by `backoff_milli / 1000`; a completed one while at
 * least half the limit was in flight adds one). Not copyable or movable.
 *
 * @code
 * constinit tickguard::AdaptiveLimit backend{tg_adaptive_config_t{20, 4, 64, 900, 5000, 0}};
 * if (tickguard::AdaptiveSlot slot = backend.enter(now)) {
 *   bool ok = call_backend();
 *   (void)slot.finish(ok ? TG_SAMPLE_DONE : TG_SAMPLE_DROPPED, clock_now() - now);
 * } else shed_load();
 * @endcode
 */
class AdaptiveLimit {
 public:
  /// Holds `config`; the limit works after init().
  /// @param config the configuration (copied).
  constexpr explicit AdaptiveLimit(const tg_adaptive_config_t &config) noexcept : config_(config) {}
  AdaptiveLimit(const AdaptiveLimit &) = delete;
  AdaptiveLimit &operator=(const AdaptiveLimit &) = delete;

  /// Validates the configuration. Call once, before sharing the object.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, or a `TG_E_CONFIG_*` code.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_adaptive_init_ex(&limit_, &config_, flags);
  }
  /// Takes a slot at `now` if fewer than the current limit are in flight.
  /// @param now the current tick.
  /// @return the slot (true when held), or the refusal.
  [[nodiscard]] AdaptiveSlot enter(Tick now) noexcept {
    AdaptiveSlot slot;
    tg_bulkhead_permit_t permit = 0;
    slot.status = tg_adaptive_acquire(&limit_, now, &permit, &slot.wait_until);
    if (slot.status == TG_OK) {
      slot.limit_ = &limit_;
      slot.permit_ = permit;
    }
    return slot;
  }
  /// The current limit.
  /// @return the limit, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> limit() const noexcept {
    Result<uint32_t> out;
    out.status = tg_adaptive_state(&limit_, &out.value, nullptr);
    return out;
  }
  /// Calls in flight.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> in_flight() const noexcept {
    Result<uint32_t> out;
    out.status = tg_adaptive_state(&limit_, nullptr, &out.value);
    return out;
  }
  /// Frees every slot (slots held become stale) and returns to the initial limit.
  /// @return `TG_OK` or an object error.
  tg_status_t reset() noexcept { return tg_adaptive_reset(&limit_); }
  /// Replaces the configuration while callers use the limit (the learned limit is clamped into
  /// the new bounds; `max_limit` goes up to the slots laid out at init).
  /// @param config the new configuration (validated and copied).
  /// @return `TG_OK`, a `TG_E_CONFIG_*` code, `TG_E_BUSY` or an object error.
  tg_status_t reconfigure(const tg_adaptive_config_t &config) noexcept {
    return tg_adaptive_reconfigure(&limit_, &config);
  }
  /// Saves the learned limit (a reboot-proof snapshot).
  /// @param now the current tick. @param out receives the snapshot.
  /// @return `TG_OK` or an error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_ADAPTIVE_SNAPSHOT_SIZE]) const noexcept {
    return tg_adaptive_snapshot(&limit_, now, out, sizeof out);
  }
  /// Restores the learned limit from a snapshot.
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK` or a `TG_E_SNAPSHOT_*` error (the limit is then the initial one).
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_adaptive_restore(&limit_, bytes, len, now);
  }

 private:
  tg_adaptive_config_t config_;
  tg_adaptive_t limit_{};
};

inline Result<tg_limit_change_t> AdaptiveSlot::finish(tg_sample_t sample, Tick latency_ticks) noexcept {
  Result<tg_limit_change_t> out;
  out.value = tg_limit_change_t{false, 0, 0};
  if (permit_ == 0) {
    out.status = TG_OK;
    return out;
  }
  out.status = tg_adaptive_release(limit_, permit_, sample, latency_ticks, &out.value);
  if (out.status != TG_E_INVALID_ARGUMENT) permit_ = 0;
  return out;
}

namespace detail {

/// The C functions of keyed token buckets (`tg_keyed_*`), for Keyed.
struct BucketKeys {
  using Config = tg_bucket_config_t;  ///< Every key's configuration.
  using Table = tg_keyed_table_t;     ///< The table's header.
  /// @param t the header. @param e the entries. @param n their count. @param c the configuration.
  /// @param s0 the seed's first half. @param s1 its second. @param f the flags. @return the status.
  static tg_status_t init(Table *t, tg_keyed_entry_t *e, size_t n, const Config *c, uint64_t s0, uint64_t s1,
                          tg_init_flags_t f) noexcept {
    return tg_keyed_init(t, e, n, c, s0, s1, f);
  }
  /// @param t the header. @param e the entries. @param n their count. @param k the key.
  /// @param units how many. @param now the tick. @param r the retry tick. @return the status.
  static tg_status_t acquire(Table *t, tg_keyed_entry_t *e, size_t n, uint64_t k, uint32_t units, Tick now,
                             uint64_t *r) noexcept {
    return tg_keyed_acquire_u64(t, e, n, k, units, now, r);
  }
  /// @param t the header. @param e the entries. @param n their count. @param k the key's bytes.
  /// @param len its length. @param units how many. @param now the tick. @param r the retry tick.
  /// @return the status.
  static tg_status_t acquire_bytes(Table *t, tg_keyed_entry_t *e, size_t n, const uint8_t *k, size_t len,
                                   uint32_t units, Tick now, uint64_t *r) noexcept {
    return tg_keyed_acquire_bytes(t, e, n, k, len, units, now, r);
  }
  /// @param t the header. @param e the entries. @param n their count. @param k the key.
  /// @param now the tick. @param out the count. @return the status.
  static tg_status_t available(const Table *t, const tg_keyed_entry_t *e, size_t n, uint64_t k, Tick now,
                               uint32_t *out) noexcept {
    return tg_keyed_available_u64(t, e, n, k, now, out);
  }
  /// @param t the header. @param e the entries. @param n their count. @param now the tick.
  /// @param out the count. @return the status.
  static tg_status_t limiting(const Table *t, const tg_keyed_entry_t *e, size_t n, Tick now, size_t *out) noexcept {
    return tg_keyed_limiting(t, e, n, now, out);
  }
  /// @param t the header. @param e the entries. @param n their count. @return the status.
  static tg_status_t reset(Table *t, tg_keyed_entry_t *e, size_t n) noexcept { return tg_keyed_reset(t, e, n); }
  /// @param t the header. @param e the entries. @param n their count. @param c the new configuration.
  /// @param now the tick the tokens are carried at. @return the status.
  static tg_status_t reconfigure(Table *t, tg_keyed_entry_t *e, size_t n, const Config *c, Tick now) noexcept {
    return tg_keyed_reconfigure(t, e, n, c, now);
  }
  /// @param n entries. @return the bytes of a table's snapshot.
  static constexpr size_t snapshot_size(size_t n) noexcept { return TG_KEYED_SNAPSHOT_SIZE(n); }
  /// @param t the header. @param e the entries. @param n their count. @param now the tick.
  /// @param out the buffer. @param len its size. @return the status.
  static tg_status_t snapshot(const Table *t, const tg_keyed_entry_t *e, size_t n, Tick now, uint8_t *out,
                              size_t len) noexcept {
    return tg_keyed_snapshot(t, e, n, now, out, len);
  }
  /// @param t the header. @param e the entries. @param n their count. @param b the snapshot.
  /// @param len its length. @param now the tick. @return the status.
  static tg_status_t restore(Table *t, tg_keyed_entry_t *e, size_t n, const uint8_t *b, size_t len,
                             Tick now) noexcept {
    return tg_keyed_restore(t, e, n, b, len, now);
  }
};

/// The C functions of keyed sliding windows (`tg_keyed_windows_*`), for Keyed.
struct WindowKeys {
  using Config = tg_sliding_window_config_t;  ///< Every key's configuration.
  using Table = tg_keyed_windows_t;           ///< The table's header.
  /// @param t the header. @param e the entries. @param n their count. @param c the configuration.
  /// @param s0 the seed's first half. @param s1 its second. @param f the flags. @return the status.
  static tg_status_t init(Table *t, tg_keyed_entry_t *e, size_t n, const Config *c, uint64_t s0, uint64_t s1,
                          tg_init_flags_t f) noexcept {
    return tg_keyed_windows_init(t, e, n, c, s0, s1, f);
  }
  /// @param t the header. @param e the entries. @param n their count. @param k the key.
  /// @param units how many. @param now the tick. @param r the retry tick. @return the status.
  static tg_status_t acquire(Table *t, tg_keyed_entry_t *e, size_t n, uint64_t k, uint32_t units, Tick now,
                             uint64_t *r) noexcept {
    return tg_keyed_windows_acquire_u64(t, e, n, k, units, now, r);
  }
  /// @param t the header. @param e the entries. @param n their count. @param k the key's bytes.
  /// @param len its length. @param units how many. @param now the tick. @param r the retry tick.
  /// @return the status.
  static tg_status_t acquire_bytes(Table *t, tg_keyed_entry_t *e, size_t n, const uint8_t *k, size_t len,
                                   uint32_t units, Tick now, uint64_t *r) noexcept {
    return tg_keyed_windows_acquire_bytes(t, e, n, k, len, units, now, r);
  }
  /// @param t the header. @param e the entries. @param n their count. @param k the key.
  /// @param now the tick. @param out the count. @return the status.
  static tg_status_t available(const Table *t, const tg_keyed_entry_t *e, size_t n, uint64_t k, Tick now,
                               uint32_t *out) noexcept {
    return tg_keyed_windows_available_u64(t, e, n, k, now, out);
  }
  /// @param t the header. @param e the entries. @param n their count. @param now the tick.
  /// @param out the count. @return the status.
  static tg_status_t limiting(const Table *t, const tg_keyed_entry_t *e, size_t n, Tick now, size_t *out) noexcept {
    return tg_keyed_windows_limiting(t, e, n, now, out);
  }
  /// @param t the header. @param e the entries. @param n their count. @return the status.
  static tg_status_t reset(Table *t, tg_keyed_entry_t *e, size_t n) noexcept { return tg_keyed_windows_reset(t, e, n); }
  /// @param t the header. @param c the new configuration. @return the status.
  static tg_status_t reconfigure(Table *t, tg_keyed_entry_t *, size_t, const Config *c, Tick) noexcept {
    return tg_keyed_windows_reconfigure(t, c);
  }
  /// @param n entries. @return the bytes of a table's snapshot.
  static constexpr size_t snapshot_size(size_t n) noexcept { return TG_KEYED_WINDOWS_SNAPSHOT_SIZE(n); }
  /// @param t the header. @param e the entries. @param n their count. @param now the tick.
  /// @param out the buffer. @param len its size. @return the status.
  static tg_status_t snapshot(const Table *t, const tg_keyed_entry_t *e, size_t n, Tick now, uint8_t *out,
                              size_t len) noexcept {
    return tg_keyed_windows_snapshot(t, e, n, now, out, len);
  }
  /// @param t the header. @param e the entries. @param n their count. @param b the snapshot.
  /// @param len its length. @param now the tick. @return the status.
  static tg_status_t restore(Table *t, tg_keyed_entry_t *e, size_t n, const uint8_t *b, size_t len,
                             Tick now) noexcept {
    return tg_keyed_windows_restore(t, e, n, b, len, now);
  }
};

/// A keyed table of `N` entries, each key's limit a `Kind` (BucketKeys or WindowKeys): what
/// tickguard::KeyedBuckets and tickguard::KeyedWindows are. Not copyable or movable.
template <size_t N, class Kind>
class Keyed {
  static_assert(N >= 1, "a keyed table needs at least one entry");

 public:
  /// Holds `config`, every key's limit; the table works after init().
  /// @param config the configuration (copied).
  constexpr explicit Keyed(const typename Kind::Config &config) noexcept : config_(config) {}
  Keyed(const Keyed &) = delete;
  Keyed &operator=(const Keyed &) = delete;

  /// Validates the configuration and empties the table; seed the hash with random bits (with a
  /// known seed, clients could aim keys at one entry).
  /// @param seed0 the first 64 bits of the seed. @param seed1 the second.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, or a `TG_E_CONFIG_*` code.
  [[nodiscard]] tg_status_t init(uint64_t seed0, uint64_t seed1, tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return Kind::init(&table_, entries_, N, &config_, seed0, seed1, flags);
  }
  /// Takes `n` units (tokens, events) for `key` at `now`.
  /// @param key an integer key. @param n how many. @param now the current tick.
  /// @return the decision (`TG_OK`, `TG_REFUSED`, `TG_TABLE_FULL`, or an error).
  [[nodiscard]] Grant acquire(uint64_t key, uint32_t n, Tick now) noexcept {
    Grant grant;
    grant.status = Kind::acquire(&table_, entries_, N, key, n, now, &grant.retry_at);
    return grant;
  }
  /// Takes `n` units for the byte key `key` at `now`.
  /// @param key the key's bytes. @param len how many (at most `TG_KEYED_MAX_KEY_BYTES`).
  /// @param n how many units. @param now the current tick.
  /// @return the decision.
  [[nodiscard]] Grant acquire(const void *key, size_t len, uint32_t n, Tick now) noexcept {
    Grant grant;
    grant.status =
        Kind::acquire_bytes(&table_, entries_, N, static_cast<const uint8_t *>(key), len, n, now, &grant.retry_at);
    return grant;
  }
  /// Units `key` could take at `now`.
  /// @param key an integer key. @param now the current tick.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> available(uint64_t key, Tick now) const noexcept {
    Result<uint32_t> out;
    out.status = Kind::available(&table_, entries_, N, key, now, &out.value);
    return out;
  }
  /// Entries whose key is still limiting at `now`.
  /// @param now the current tick.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<size_t> limiting(Tick now) const noexcept {
    Result<size_t> out;
    out.status = Kind::limiting(&table_, entries_, N, now, &out.value);
    return out;
  }
  /// Empties the table.
  /// @return `TG_OK` or an object error.
  tg_status_t reset() noexcept { return Kind::reset(&table_, entries_, N); }
  /// Replaces every key's configuration while callers use the table: KeyedWindows keep each
  /// key's counts; KeyedBuckets carry each key's tokens at `now` (clamped to the new capacity).
  /// @param config the new configuration (validated and copied).
  /// @param now the current tick (KeyedWindows do not read it).
  /// @return `TG_OK`, a `TG_E_CONFIG_*` code, `TG_E_BUSY` (buckets: another reconfiguration is
  ///   under way) or an object error.
  tg_status_t reconfigure(const typename Kind::Config &config, Tick now = 0) noexcept {
    return Kind::reconfigure(&table_, entries_, N, &config, now);
  }
  /// Bytes of this table's snapshot.
  static constexpr size_t kSnapshotSize = Kind::snapshot_size(N);
  /// Saves every entry at `now` (a reboot-proof snapshot, relative to `now`; restore it into a
  /// table with the same configuration, size and seed).
  /// @param now the current tick. @param out receives the snapshot.
  /// @return `TG_OK` or an error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[kSnapshotSize]) const noexcept {
    return Kind::snapshot(&table_, entries_, N, now, out, sizeof out);
  }
  /// Restores every entry from a snapshot; on error the table is left empty.
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK` or a `TG_E_SNAPSHOT_*` error.
  tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return Kind::restore(&table_, entries_, N, bytes, len, now);
  }

 private:
  typename Kind::Config config_;
  typename Kind::Table table_{};
  tg_keyed_entry_t entries_[N]{};
};

}  // namespace detail

/**
 * Token buckets per key (a client address, a device id) in a fixed table of
 * `N` entries chosen at compile time. A new key takes its entry when the
 * entry is free or its key's bucket is full again; a key still limiting is
 * never evicted: the new key's Grant has status `TG_TABLE_FULL` and the tick
 * the entry frees. Not copyable or movable.
 *
 * @code
 * constinit tickguard::KeyedBuckets<4096> clients{tg_bucket_config_t{3, 1, 100, TG_BUCKET_FULL}};
 * // once: (void)clients.init(random_seed0, random_seed1);
 * tickguard::Grant grant = clients.acquire(client_ip, 1, now);
 * if (grant) serve(); else reply_429_or_503(grant.status, grant.retry_at);
 * @endcode
 */
template <size_t N>
using KeyedBuckets = detail::Keyed<N, detail::BucketKeys>;

/**
 * A sliding-window log: at most `N` events in any window of
 * `window_ticks`, exactly (every admission's tick is kept, 16 bytes each).
 * For small limits; a refusal's Grant carries the tick the oldest admission
 * leaves the window. Not copyable or movable.
 *
 * @code
 * constinit tickguard::SlidingLog<5> logins{tg_sliding_log_config_t{60000}};
 * // once: (void)logins.init();
 * tickguard::Grant grant = logins.acquire(now);
 * if (grant) try_password(); else lock_out_until(grant.retry_at);
 * @endcode
 */
template <size_t N>
class SlidingLog {
  static_assert(N >= 1 && N <= 65536, "a sliding log holds 1 to 65 536 entries");

 public:
  /// Holds `config`; the log works after init().
  /// @param config the configuration (copied).
  constexpr explicit SlidingLog(const tg_sliding_log_config_t &config) noexcept : config_(config) {}
  SlidingLog(const SlidingLog &) = delete;
  SlidingLog &operator=(const SlidingLog &) = delete;

  /// Validates the configuration and empties the log.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, or `TG_E_CONFIG_WINDOW`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_sliding_log_init(&log_, entries_, N, &config_, flags);
  }
  /// Records one event at `now` if fewer than `N` were admitted in the window.
  /// @param now the current tick.
  /// @return the decision (`TG_OK`, `TG_REFUSED` with `retry_at`, or an error).
  [[nodiscard]] Grant acquire(Tick now) noexcept {
    Grant grant;
    grant.status = tg_sliding_log_acquire(&log_, entries_, N, now, &grant.retry_at);
    return grant;
  }
  /// Events that would be admitted at `now`.
  /// @param now the current tick.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> available(Tick now) const noexcept {
    Result<uint32_t> out;
    out.status = tg_sliding_log_available(&log_, entries_, N, now, &out.value);
    return out;
  }
  /// Replaces the window while callers use the log: the admissions keep their ticks.
  /// @param config the new configuration (validated and copied).
  /// @return `TG_OK`, `TG_E_CONFIG_WINDOW` or an object error.
  tg_status_t reconfigure(const tg_sliding_log_config_t &config) noexcept {
    return tg_sliding_log_reconfigure(&log_, &config);
  }
  /// Forgets every admission.
  /// @return `TG_OK` or an object error.
  tg_status_t reset() noexcept { return tg_sliding_log_reset(&log_, entries_, N); }
  /// Saves the admissions at `now` (a reboot-proof snapshot, relative to `now`); logs of at
  /// most `TG_SLIDING_LOG_SNAPSHOT_MAX_LIMIT` entries.
  /// @param now the current tick. @param out receives the snapshot.
  /// @return `TG_OK` or an error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_SLIDING_LOG_SNAPSHOT_SIZE(N)]) const noexcept {
    return tg_sliding_log_snapshot(&log_, entries_, N, now, out, sizeof out);
  }
  /// Restores the admissions from a snapshot, as of `now` (the tick counter may have started again).
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK` or a `TG_E_SNAPSHOT_*` error (the log is then left empty).
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_sliding_log_restore(&log_, entries_, N, bytes, len, now);
  }

 private:
  tg_sliding_log_config_t config_;
  tg_sliding_log_t log_{};
  tg_sliding_log_entry_t entries_[N]{};
};

/**
 * A queue of up to `N` breaker transitions (2 .. 65 536), for interrupt
 * handlers (or threads) to push what their calls changed and a main loop to
 * drain. A full queue refuses a push and counts it. Not copyable or
 * movable.
 *
 * @code
 * constinit tickguard::EventQueue<8> transitions;
 * // once: (void)transitions.init();
 * // in the interrupt handler:
 * tickguard::Recorded r = call.fail(now);
 * if (r.transition.changed) (void)transitions.push(now, 1, r.transition);
 * // in the main loop:
 * while (tickguard::Result<tg_event_t> e = transitions.pop()) log(e.value);
 * @endcode
 */
template <size_t N>
class EventQueue {
  static_assert(N >= TG_EVENTS_MIN && N <= TG_EVENTS_MAX, "an event queue holds 2 to 65 536 events");

 public:
  /// An empty queue; it works after init().
  constexpr EventQueue() noexcept = default;
  EventQueue(const EventQueue &) = delete;
  EventQueue &operator=(const EventQueue &) = delete;

  /// Empties the queue.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK` or `TG_E_ALREADY_INITIALIZED`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_events_init(&queue_, slots_, N, flags);
  }
  /// Queues a transition behind every one pushed before it.
  /// @param at the tick of the call that made it.
  /// @param source the caller's name for the breaker.
  /// @param transition the change (only a change is queued).
  /// @return `TG_OK`, `TG_REFUSED` (full, or `transition` is no change), or an error.
  [[nodiscard]] tg_status_t push(Tick at, uint16_t source, const Transition &transition) noexcept {
    if (!transition.changed) return TG_REFUSED;
    const tg_event_t event{at, source, static_cast<tg_state_t>(transition.from),
                           static_cast<tg_state_t>(transition.to)};
    return tg_events_push(&queue_, slots_, N, &event);
  }
  /// Takes the oldest ready event.
  /// @return the event, or `TG_NOT_FOUND` when none is ready.
  [[nodiscard]] Result<tg_event_t> pop() noexcept {
    Result<tg_event_t> out;
    out.status = tg_events_pop(&queue_, slots_, N, &out.value);
    return out;
  }
  /// Takes up to `M` of the oldest ready events.
  /// @param out receives them, oldest first.
  /// @return how many were taken, or the status that prevented it.
  template <size_t M>
  [[nodiscard]] Result<size_t> drain(tg_event_t (&out)[M]) noexcept {
    Result<size_t> taken;
    taken.status = tg_events_drain(&queue_, slots_, N, out, M, &taken.value);
    return taken;
  }
  /// Events refused since the last call (a full queue), the count restarted.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint64_t> take_dropped() noexcept {
    Result<uint64_t> out;
    out.status = tg_events_take_dropped(&queue_, &out.value);
    return out;
  }

 private:
  tg_events_t queue_{};
  tg_event_slot_t slots_[N]{};
};

/**
 * Sliding-window counters per key in a fixed table of `N` entries chosen at
 * compile time (a limit of at most 65 535 per window). An entry is free for
 * a new key once its key's two windows hold no event; a key still counting
 * is never evicted: the new key's Grant has status `TG_TABLE_FULL` and the
 * tick the entry frees. Not copyable or movable.
 *
 * @code
 * constinit tickguard::KeyedWindows<4096> users{tg_sliding_window_config_t{100, 60000}};
 * // once: (void)users.init(random_seed0, random_seed1);
 * tickguard::Grant grant = users.acquire(user_id, 1, now);
 * @endcode
 */
template <size_t N>
using KeyedWindows = detail::Keyed<N, detail::WindowKeys>;

/// The decision of FixedWindow::acquire.
struct [[nodiscard]] Verdict {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK` admitted, `TG_REFUSED` denied, or an error.
  uint32_t missed = 0;       ///< Events the previous window denied, reported by this call only.
  bool has_retry_at = false;  ///< When denied: whether the events can ever be admitted.
  Tick retry_at = 0;          ///< When denied: the tick at which the window rolls over.

  /// Whether the events were admitted.
  /// @return `status == TG_OK`.
  constexpr explicit operator bool() const noexcept { return status == TG_OK; }
};

/**
 * A fixed window with a suppression count (the Linux kernel's `ratelimit`):
 * at most `burst` events per window of `interval_ticks`, and how many were
 * suppressed, reported once by the call that begins the next window. For
 * log-flood protection. Not copyable or movable.
 *
 * @code
 * constinit tickguard::FixedWindow log_limit{tg_fixed_window_config_t{10, 5000}};
 * tickguard::Verdict v = log_limit.acquire(1, now);
 * if (v.missed) log("%u messages suppressed", v.missed);
 * if (v) log("sensor timeout");
 * @endcode
 */
class FixedWindow {
 public:
  /// Holds `config`; the window works after init().
  /// @param config the configuration (copied).
  constexpr explicit FixedWindow(const tg_fixed_window_config_t &config) noexcept : config_(config) {}
  FixedWindow(const FixedWindow &) = delete;
  FixedWindow &operator=(const FixedWindow &) = delete;

  /// Validates the configuration. Call once, before sharing the object.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED` or `TG_E_CONFIG_INTERVAL`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_fixed_window_init_ex(&window_, &config_, flags);
  }
  /// Admits `n` events at `now`, or denies and counts them.
  /// @param n how many events. @param now the current tick.
  /// @return the decision, with the previous window's missed count when this call began a new one.
  [[nodiscard]] Verdict acquire(uint32_t n, Tick now) noexcept {
    tg_fixed_window_decision_t d{};
    Verdict v;
    v.status = tg_fixed_window_acquire(&window_, n, now, &d);
    v.missed = d.missed;
    v.has_retry_at = d.has_retry_at;
    v.retry_at = d.retry_at;
    return v;
  }
  /// Events the window would admit at `now`.
  /// @param now the current tick.
  /// @return the count, or the status that prevented reading it.
  [[nodiscard]] Result<uint32_t> remaining(Tick now) const noexcept {
    Result<uint32_t> out;
    out.status = tg_fixed_window_remaining(&window_, now, &out.value);
    return out;
  }
  /// The events missed so far in this window, reported now and cleared.
  /// @return the count, or the status that prevented taking it.
  [[nodiscard]] Result<uint32_t> take_missed() noexcept {
    Result<uint32_t> out;
    out.status = tg_fixed_window_take_missed(&window_, &out.value);
    return out;
  }
  /// Replaces the configuration while callers use the window: it keeps its count and end; a
  /// new burst applies at once, a new interval from the next window.
  /// @param config the new configuration (validated and copied).
  /// @return `TG_OK`, `TG_E_CONFIG_INTERVAL` or an object error.
  tg_status_t reconfigure(const tg_fixed_window_config_t &config) noexcept {
    return tg_fixed_window_reconfigure(&window_, &config);
  }
  /// Forgets the window and its count.
  /// @return `TG_OK` or an object error.
  tg_status_t reset() noexcept { return tg_fixed_window_reset(&window_); }
  /// Saves the window (a reboot-proof snapshot, relative to `now`).
  /// @param now the current tick.
  /// @param out receives the `TG_FIXED_WINDOW_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_FIXED_WINDOW_SNAPSHOT_SIZE]) const noexcept {
    return tg_fixed_window_snapshot(&window_, now, out, sizeof out);
  }
  /// Restores the window from a snapshot, as of `now`.
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the window is left fresh), or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_fixed_window_restore(&window_, bytes, len, now);
  }
  /// The C object, for calls the wrapper does not cover.
  /// @return the C object.
  tg_fixed_window_t *raw() noexcept { return &window_; }

 private:
  tg_fixed_window_config_t config_;
  tg_fixed_window_t window_{};
};

/**
 * A retry policy (backoff, jitter, attempts, deadline). `constexpr`
 * constructor; init() once before use.
 */
class RetryPolicy {
 public:
  /// Holds `config`; the policy works after init().
  /// @param config the configuration (copied).
  constexpr explicit RetryPolicy(const tg_retry_config_t &config) noexcept : config_(config) {}
  RetryPolicy(const RetryPolicy &) = delete;
  RetryPolicy &operator=(const RetryPolicy &) = delete;

  /// Validates and installs the configuration.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED` or the `TG_E_CONFIG_*` code
  ///   of the first invalid field (a 0 left in a field means "none" or the
  ///   default, or is refused: see `tg_retry_config_t`).
  [[nodiscard]] tg_status_t init() noexcept { return tg_retry_policy_init(&policy_, &config_); }
  /// The C object.
  /// @return the C object.
  const tg_retry_policy_t *raw() const noexcept { return &policy_; }

 private:
  tg_retry_config_t config_;
  tg_retry_policy_t policy_{};
};

/// What one attempt of a retried operation came to.
struct Attempted {
  bool ok = false;                                   ///< Whether it succeeded.
  tg_retry_outcome_t outcome = TG_RETRY_OUTCOME_FAILED; ///< When it failed: how.
  Tick outcome_tick = 0;                             ///< For RETRY_AFTER and REFUSED: the tick named.

  /// A success. @return the result.
  static constexpr Attempted success() noexcept { return Attempted{true, TG_RETRY_OUTCOME_FAILED, 0}; }
  /// A failure of the given kind. @param outcome a `TG_RETRY_OUTCOME_*` value.
  /// @param tick the tick a server or guard named, if any. @return the result.
  static constexpr Attempted failure(tg_retry_outcome_t outcome = TG_RETRY_OUTCOME_FAILED,
                                     Tick tick = 0) noexcept {
    return Attempted{false, outcome, tick};
  }
};

/// How a retried operation ended.
struct [[nodiscard]] RetryResult {
  tg_status_t status = TG_OK;          ///< `TG_OK`, or the error that stopped the loop.
  bool ok = false;                     ///< Whether an attempt succeeded.
  uint32_t attempts = 0;               ///< Attempts made.
  tg_give_up_t give_up = TG_GIVE_UP_NONE; ///< When not ok: why the loop gave up.
};

/**
 * Runs `attempt()` until it succeeds or `policy` gives up. Between attempts
 * it calls `wait_until(tick)`, which the caller implements (sleep, yield to
 * an RTOS, or advance a simulated clock); `now()` returns the current tick.
 * No exceptions, no allocation.
 *
 * @param policy an initialised retry policy.
 * @param attempt a callable returning an Attempted.
 * @param now a callable returning the current Tick.
 * @param wait_until a callable taking the Tick to wait until.
 * @param seed the seed of this operation's jitter.
 * @param budget a retry budget that must allow each retry, or nullptr.
 * @return how the operation ended.
 *
 * @code
 * tickguard::RetryResult r = tickguard::retry(policy, [&] { return fetch(); },
 *     [] { return tick_now(); }, [](tickguard::Tick t) { sleep_until(t); }, seed);
 * @endcode
 */
template <class Attempt, class Now, class WaitUntil>
RetryResult retry(const RetryPolicy &policy, Attempt &&attempt, Now &&now, WaitUntil &&wait_until,
                  uint64_t seed, const tg_retry_budget_t *budget = nullptr) noexcept {
  RetryResult result;
  tg_retry_attempt_t state{};
  result.status = tg_retry_attempt_begin(&state, now(), seed);
  while (result.status == TG_OK) {
    Attempted a = attempt();
    result.attempts++;
    if (a.ok) {
      result.ok = true;
      return result;
    }
    tg_retry_decision_t d{};
    result.status = tg_retry_next(policy.raw(), &state, a.outcome, a.outcome_tick, now(), budget, &d);
    if (result.status != TG_OK) break;
    if (!d.retry) {
      result.give_up = d.give_up;
      return result;
    }
    wait_until(d.retry_at);
  }
  return result;
}

/// What a retry budget says now.
struct BudgetState {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK`, or why there is no answer.
  bool allows_retry = false;                ///< Whether a retry may be made now.
  uint64_t tokens_milli = 0;                ///< Tokens held, in thousandths.
};

/**
 * A retry budget shared by every caller (gRPC-style retry throttling).
 * Not copyable or movable. Pass raw() to retry().
 *
 * @code
 * constinit tickguard::RetryBudget budget{tg_retry_budget_config_t{10, 100}};
 * // once: (void)budget.init();
 * ok ? budget.success() : budget.failure();
 * @endcode
 */
class RetryBudget {
 public:
  /// Holds `config`; the budget works after init().
  /// @param config the configuration (copied).
  constexpr explicit RetryBudget(const tg_retry_budget_config_t &config) noexcept : config_(config) {}
  RetryBudget(const RetryBudget &) = delete;
  RetryBudget &operator=(const RetryBudget &) = delete;

  /// Validates the configuration and fills the budget. Call once, before
  /// sharing the object.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK`, `TG_E_ALREADY_INITIALIZED`, `TG_E_CONFIG_MAX_TOKENS`
  ///   or `TG_E_CONFIG_TOKEN_RATIO`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_retry_budget_init_ex(&budget_, &config_, flags);
  }
  /// Reports a call that succeeded: deposits the token ratio.
  /// @return `TG_OK` or an object error.
  tg_status_t success() noexcept { return tg_retry_budget_success(&budget_); }
  /// Reports a call that failed: withdraws one token.
  /// @return `TG_OK` or an object error.
  tg_status_t failure() noexcept { return tg_retry_budget_failure(&budget_); }
  /// Whether a retry may be made now, and the tokens held.
  /// @return the state, or the status that prevented reading it.
  [[nodiscard]] BudgetState state() const noexcept {
    BudgetState out;
    out.status = tg_retry_budget_state(&budget_, &out.allows_retry, &out.tokens_milli);
    return out;
  }
  /// Saves the budget's tokens (a reboot-proof snapshot).
  /// @param now the current tick (kept for the format's sake).
  /// @param out receives the `TG_RETRY_BUDGET_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_RETRY_BUDGET_SNAPSHOT_SIZE]) const noexcept {
    return tg_retry_budget_snapshot(&budget_, now, out, sizeof out);
  }
  /// Restores the budget's tokens from a snapshot.
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the budget is left full),
  ///   or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_retry_budget_restore(&budget_, bytes, len, now);
  }
  /// The C object, for retry() and calls the wrapper does not cover.
  /// @return the C object.
  const tg_retry_budget_t *raw() const noexcept { return &budget_; }

 private:
  tg_retry_budget_config_t config_;
  tg_retry_budget_t budget_{};
};

/// A value served by LastKnownGood::serve.
struct Served {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK`, `TG_NOT_FOUND`, or an error.
  uint8_t value[TG_LKG_VALUE_BYTES] = {};   ///< The value's bytes (the first `len`).
  size_t len = 0;                           ///< The value's length.
  Tick age = 0;                             ///< Ticks since it was stored.

  /// Whether a value was served.
  /// @return `status == TG_OK`.
  constexpr explicit operator bool() const noexcept { return status == TG_OK; }
};

/**
 * A last-known-good store: fixed slots of bytes under byte keys, served only
 * while the primary fails and only up to a maximum age. One owner (or the
 * caller's lock). Not copyable or movable.
 *
 * @code
 * tickguard::LastKnownGood cache{60000};
 * // once: (void)cache.init();
 * cache.store(key, key_len, value, value_len, now);        // the primary answered
 * if (tickguard::Served s = cache.serve(key, key_len, now)) use(s.value, s.len);
 * @endcode
 */
class LastKnownGood {
 public:
  /// Holds the maximum age; the store works after init().
  /// @param max_age_ticks the oldest value served.
  constexpr explicit LastKnownGood(Tick max_age_ticks) noexcept : max_age_(max_age_ticks) {}
  LastKnownGood(const LastKnownGood &) = delete;
  LastKnownGood &operator=(const LastKnownGood &) = delete;

  /// Empties the store. Call once.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK` or `TG_E_ALREADY_INITIALIZED`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_lkg_init_ex(&lkg_, max_age_, flags);
  }
  /// Stores `value` for `key`, fresh at `now`.
  /// @param key the key's bytes. @param key_len its length (at most `TG_LKG_KEY_BYTES`).
  /// @param value the value's bytes. @param value_len its length (at most `TG_LKG_VALUE_BYTES`).
  /// @param now the current tick.
  /// @return `TG_OK`, `TG_E_INVALID_ARGUMENT` for a key or value too long, or an object error.
  tg_status_t store(const void *key, size_t key_len, const void *value, size_t value_len, Tick now) noexcept {
    return tg_lkg_store(&lkg_, static_cast<const uint8_t *>(key), key_len, static_cast<const uint8_t *>(value),
                        value_len, now);
  }
  /// The last known good value of `key` at `now` (call it when the primary fails).
  /// @param key the key's bytes. @param key_len its length.
  /// @param now the current tick.
  /// @return the value, or `TG_NOT_FOUND` or an error in `status`.
  [[nodiscard]] Served serve(const void *key, size_t key_len, Tick now) const noexcept {
    Served out;
    out.status = tg_lkg_serve(&lkg_, static_cast<const uint8_t *>(key), key_len, now, out.value, &out.len, &out.age);
    return out;
  }
  /// Forgets `key`'s value.
  /// @param key the key's bytes. @param key_len its length.
  /// @return `TG_OK`, `TG_E_INVALID_ARGUMENT` for a key too long, or an object error.
  tg_status_t forget(const void *key, size_t key_len) noexcept {
    return tg_lkg_forget(&lkg_, static_cast<const uint8_t *>(key), key_len);
  }

  /// Saves the keys and values with their ages at `now` (a reboot-proof
  /// snapshot).
  /// @param now the current tick.
  /// @param out receives the `TG_LKG_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_LKG_SNAPSHOT_SIZE]) const noexcept {
    return tg_lkg_snapshot(&lkg_, now, out, sizeof out);
  }
  /// Restores the keys and values from a snapshot, their ages carried over
  /// to `now`.
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the store is left empty),
  ///   or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_lkg_restore(&lkg_, bytes, len, now);
  }

 private:
  Tick max_age_;
  tg_lkg_t lkg_{};
};

/// A change of the effective degradation level.
struct LevelChange {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK`, or the error that prevented the change.
  bool changed = false;                     ///< Whether the effective level changed.
  uint8_t from = 0;                         ///< The level before (valid when `changed`).
  uint8_t to = 0;                           ///< The level after (valid when `changed`).
};

/// Whether a feature may run, and the effective level.
struct Allowed {
  tg_status_t status = TG_E_UNINITIALIZED;  ///< `TG_OK`, or why there is no answer.
  bool allows = false;                      ///< Whether the feature may run.
  uint8_t level = 0;                        ///< The effective degradation level.

  /// Whether the feature may run.
  /// @return `status == TG_OK && allows`.
  constexpr explicit operator bool() const noexcept { return status == TG_OK && allows; }
};

/**
 * Degradation levels: manual, automatic from a breaker's state, and feature
 * switches; each change is reported to exactly one caller. Not copyable or
 * movable.
 *
 * @code
 * constinit tickguard::Degradation degradation;
 * // once: (void)degradation.init();
 * (void)degradation.follow_breaker(breaker.state(now).value, 2);
 * if (degradation.allows(2, kRecommendations)) show_recommendations();
 * @endcode
 */
class Degradation {
 public:
  constexpr Degradation() noexcept = default;
  Degradation(const Degradation &) = delete;
  Degradation &operator=(const Degradation &) = delete;

  /// Starts at level 0 with every feature switched on. Call once.
  /// @param flags `TG_INIT_DEFAULT`, or `TG_INIT_REINIT` / `TG_INIT_SHARED`.
  /// @return `TG_OK` or `TG_E_ALREADY_INITIALIZED`.
  [[nodiscard]] tg_status_t init(tg_init_flags_t flags = TG_INIT_DEFAULT) noexcept {
    return tg_degradation_init(&degradation_, flags);
  }
  /// Sets the manual level.
  /// @param level the manual level.
  /// @return the change of effective level.
  LevelChange set_level(uint8_t level) noexcept {
    tg_level_change_t c{};
    return from_c(tg_degradation_set_level(&degradation_, level, &c), c);
  }
  /// Follows a dependency's breaker: `level_while_open` while it is open.
  /// @param state the breaker's state.
  /// @param level_while_open the automatic level while it is open.
  /// @return the change of effective level.
  LevelChange follow_breaker(State state, uint8_t level_while_open) noexcept {
    tg_level_change_t c{};
    tg_status_t s = tg_degradation_follow_breaker(&degradation_, static_cast<tg_state_t>(state), level_while_open, &c);
    return from_c(s, c);
  }
  /// Switches a feature (0 .. 31) on or off.
  /// @param feature the feature. @param on whether it may run.
  /// @return `TG_OK`, `TG_E_INVALID_ARGUMENT` for a feature above 31, or an object error.
  tg_status_t set_feature(uint8_t feature, bool on) noexcept {
    return tg_degradation_switch(&degradation_, feature, on);
  }
  /// Whether `feature` may run: it is switched on and the effective level
  /// is below `shed_at`.
  /// @param shed_at the level from which the feature is shed.
  /// @param feature the feature.
  /// @return the answer and the effective level.
  [[nodiscard]] Allowed allows(uint8_t shed_at, uint8_t feature) const noexcept {
    Allowed out;
    out.status = tg_degradation_allows(&degradation_, shed_at, feature, &out.allows, &out.level);
    return out;
  }

  /// Saves the levels and switches at `now` (a reboot-proof snapshot, relative to `now`).
  /// @param now the current tick.
  /// @param out receives the `TG_DEGRADATION_SNAPSHOT_SIZE` bytes.
  /// @return `TG_OK` or an object error.
  [[nodiscard]] tg_status_t snapshot(Tick now, uint8_t (&out)[TG_DEGRADATION_SNAPSHOT_SIZE]) const noexcept {
    return tg_degradation_snapshot(&degradation_, now, out, sizeof out);
  }
  /// Restores the levels and switches from a snapshot, as of `now` (the tick counter may have
  /// restarted at 0 since it was taken).
  /// @param bytes the snapshot. @param len its length. @param now the current tick.
  /// @return `TG_OK`, a `TG_E_SNAPSHOT_*` status (the object is left fresh),
  ///   or an object error.
  [[nodiscard]] tg_status_t restore(const uint8_t *bytes, size_t len, Tick now) noexcept {
    return tg_degradation_restore(&degradation_, bytes, len, now);
  }

 private:
  static constexpr LevelChange from_c(tg_status_t s, const tg_level_change_t &c) noexcept {
    return LevelChange{s, c.changed, c.from, c.to};
  }
  tg_degradation_t degradation_{};
};

/**
 * Turns a wrapping 32-bit tick counter into the monotonic 64-bit ticks the
 * guards take. Call it at least once every 2^31 ticks (for example from the
 * tick interrupt).
 *
 * @code
 * constinit tickguard::TickExtender ticks;
 * // once: (void)ticks.init(HAL_GetTick());
 * tickguard::Tick now = ticks.extend(HAL_GetTick()).value;
 * @endcode
 */
class TickExtender {
 public:
  constexpr TickExtender() noexcept = default;
  TickExtender(const TickExtender &) = delete;
  TickExtender &operator=(const TickExtender &) = delete;

  /// Starts from the counter's current value.
  /// @param start the counter's current 32-bit value.
  /// @return `TG_OK` or `TG_E_ALREADY_INITIALIZED`.
  [[nodiscard]] tg_status_t init(uint32_t start = 0) noexcept {
    return tg_tick_extender_init(&extender_, start);
  }
  /// The 64-bit tick of a 32-bit reading.
  /// @param raw the counter's 32-bit value.
  /// @return the tick, or the status that prevented extending.
  [[nodiscard]] Result<Tick> extend(uint32_t raw) noexcept {
    Tick out = 0;
    tg_status_t s = tg_tick_extend(&extender_, raw, &out);
    return Result<Tick>{s, out};
  }

 private:
  tg_tick_extender_t extender_{};
};

#if TICKGUARD_HAS_CHRONO
/**
 * Ticks from a `std::chrono` clock: `Unit` is the tick (milliseconds by
 * default), `Clock` the source (`std::chrono::steady_clock`, monotonic).
 * Hosted programs use it instead of a hand-written tick source; configure
 * every guard in the same `Unit`.
 *
 * @code
 * using Ms = tickguard::ChronoTicks<>;  // 1 tick = 1 ms of steady_clock
 * tg_breaker_config_t config = tickguard::kDefaultBreakerConfig;
 * config.open_ticks = Ms::of(std::chrono::seconds(30));
 * if (tickguard::Call call = breaker.acquire(Ms::now())) ...
 * @endcode
 */
template <class Unit = std::chrono::milliseconds, class Clock = std::chrono::steady_clock>
struct ChronoTicks {
  /// The clock's current time in ticks of `Unit` (rounded down).
  /// @return the tick.
  static Tick now() noexcept {
    auto since = std::chrono::duration_cast<Unit>(Clock::now().time_since_epoch()).count();
    return since < 0 ? 0 : static_cast<Tick>(since);
  }
  /// A duration in ticks of `Unit`, rounded up (a timeout is never shorter
  /// than asked); negative durations are 0, and anything above
  /// `TG_MAX_DURATION_TICKS` is `TG_MAX_DURATION_TICKS + 1`, which every
  /// configuration check refuses.
  /// @param d the duration.
  /// @return the ticks.
  template <class Rep, class Period>
  static constexpr Tick of(std::chrono::duration<Rep, Period> d) noexcept {
    using Exact = std::chrono::duration<long double, typename Unit::period>;
    long double ticks = std::chrono::duration_cast<Exact>(d).count();
    if (!(ticks > 0)) return 0;
    if (ticks > static_cast<long double>(TG_MAX_DURATION_TICKS)) return TG_MAX_DURATION_TICKS + 1;
    Tick whole = static_cast<Tick>(ticks);
    return static_cast<long double>(whole) < ticks ? whole + 1 : whole;
  }
};
#endif

}  // namespace tickguard

#endif  // TICKGUARD_HPP
