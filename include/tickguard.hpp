// tickguard.hpp: RAII classes over the tickguard C API (include/tickguard.h).
// Header-only, C++17, no exceptions, no allocation: usable with
// -fno-exceptions -fno-rtti on bare metal.
// SPDX-License-Identifier: MIT OR Apache-2.0
#ifndef TICKGUARD_HPP
#define TICKGUARD_HPP

#include <cstdint>
#include <optional>

#include "tickguard.h"

namespace tickguard {

/// A readable name for a TG_STATE_* value.
inline const char *state_name(tg_state_t state) noexcept {
  switch (state) {
    case TG_STATE_CLOSED: return "CLOSED";
    case TG_STATE_OPEN: return "OPEN";
    case TG_STATE_HALF_OPEN: return "HALF_OPEN";
    case TG_STATE_FORCED_OPEN: return "FORCED_OPEN";
    case TG_STATE_DISABLED: return "DISABLED";
    default: return "?";
  }
}

class Breaker;

/// An admitted call. Report its outcome with succeed(), fail() or ignore();
/// if it goes out of scope unreported it is recorded as IGNORED, so a
/// half-open permit is never leaked by an early return.
class Call {
 public:
  Call(const Call &) = delete;
  Call &operator=(const Call &) = delete;
  Call(Call &&other) noexcept
      : breaker_(other.breaker_), permit_(other.permit_), now_(other.now_),
        transition_(other.transition_), retry_at_(other.retry_at_) {
    other.breaker_ = nullptr;
  }
  Call &operator=(Call &&) = delete;
  ~Call() { ignore(now_); }

  /// Whether the breaker admitted the call.
  explicit operator bool() const noexcept { return breaker_ != nullptr; }
  /// When refused: the tick to retry at (empty while FORCED_OPEN).
  std::optional<uint32_t> retry_at() const noexcept { return retry_at_; }
  /// The change of state acquiring made, if any.
  const tg_transition_t &transition() const noexcept { return transition_; }

  tg_record_t succeed(uint32_t now) noexcept { return finish(TG_OUTCOME_SUCCESS, now); }
  tg_record_t fail(uint32_t now) noexcept { return finish(TG_OUTCOME_FAILURE, now); }
  tg_record_t ignore(uint32_t now) noexcept { return finish(TG_OUTCOME_IGNORED, now); }

 private:
  friend class Breaker;
  Call(tg_breaker_t *breaker, tg_permit_t permit, uint32_t now, tg_transition_t transition,
       std::optional<uint32_t> retry_at) noexcept
      : breaker_(breaker), permit_(permit), now_(now), transition_(transition),
        retry_at_(retry_at) {}

  tg_record_t finish(tg_outcome_t outcome, uint32_t now) noexcept {
    tg_record_t record{};
    if (breaker_ != nullptr) {
      tg_breaker_record(breaker_, permit_, outcome, now, &record);
      breaker_ = nullptr;
    }
    return record;
  }

  tg_breaker_t *breaker_;
  tg_permit_t permit_;
  uint32_t now_;
  tg_transition_t transition_;
  std::optional<uint32_t> retry_at_;
};

/// A circuit breaker object. Not copyable or movable: the C object must
/// stay where it was initialised.
class Breaker {
 public:
  explicit Breaker(const tg_breaker_config_t &config) noexcept
      : status_(tg_breaker_init(&breaker_, &config)) {}
  Breaker() noexcept : status_(init_default()) {}
  Breaker(const Breaker &) = delete;
  Breaker &operator=(const Breaker &) = delete;

  /// TG_OK, or the TG_E_CONFIG_* code that rejected the configuration.
  tg_status_t status() const noexcept { return status_; }
  bool ok() const noexcept { return status_ == TG_OK; }

  /// Asks to make a call at `now`; test the result with `if (call)`.
  Call acquire(uint32_t now) noexcept {
    tg_breaker_decision_t d{};
    tg_status_t s = tg_breaker_acquire(&breaker_, now, &d);
    if (s == TG_OK) return Call(&breaker_, d.permit, now, d.transition, std::nullopt);
    std::optional<uint32_t> retry;
    if (s == TG_REFUSED && d.has_retry_at) retry = d.retry_at;
    return Call(nullptr, 0, now, d.transition, retry);
  }

  tg_state_t state(uint32_t now) const noexcept {
    tg_state_t out = TG_STATE_FORCED_OPEN;
    tg_breaker_state(&breaker_, now, &out);
    return out;
  }
  tg_transition_t force_open() noexcept { return control(tg_breaker_force_open); }
  tg_transition_t disable() noexcept { return control(tg_breaker_disable); }
  tg_transition_t reset() noexcept { return control(tg_breaker_reset); }
  /// Opens for `ticks` from `now`; returns the deadline, empty on error.
  std::optional<uint32_t> open_for(uint32_t ticks, uint32_t now) noexcept {
    uint32_t until = 0;
    if (tg_breaker_open_for(&breaker_, ticks, now, &until, nullptr) != TG_OK) return std::nullopt;
    return until;
  }

  tg_breaker_t *raw() noexcept { return &breaker_; }

 private:
  tg_status_t init_default() noexcept {
    tg_breaker_config_t config{};
    tg_breaker_config_default(&config);
    return tg_breaker_init(&breaker_, &config);
  }
  tg_transition_t control(tg_status_t (*fn)(tg_breaker_t *, tg_transition_t *)) noexcept {
    tg_transition_t t{};
    fn(&breaker_, &t);
    return t;
  }

  tg_breaker_t breaker_{};
  tg_status_t status_;
};

/// A token bucket object. Not copyable or movable.
class Bucket {
 public:
  explicit Bucket(const tg_bucket_config_t &config) noexcept
      : status_(tg_bucket_init(&bucket_, &config)) {}
  Bucket(const Bucket &) = delete;
  Bucket &operator=(const Bucket &) = delete;

  tg_status_t status() const noexcept { return status_; }
  bool ok() const noexcept { return status_ == TG_OK; }

  /// Takes `n` tokens: TG_OK, TG_REFUSED (with *retry_at set when given) or
  /// TG_E_EXCEEDS_CAPACITY.
  tg_status_t try_acquire(uint32_t n, uint32_t now, uint32_t *retry_at = nullptr) noexcept {
    return tg_bucket_acquire(&bucket_, n, now, retry_at);
  }
  bool acquire(uint32_t n, uint32_t now) noexcept { return try_acquire(n, now) == TG_OK; }
  uint32_t available(uint32_t now) const noexcept {
    uint32_t out = 0;
    tg_bucket_available(&bucket_, now, &out);
    return out;
  }
  void reset() noexcept { tg_bucket_reset(&bucket_); }

  tg_bucket_t *raw() noexcept { return &bucket_; }

 private:
  tg_bucket_t bucket_{};
  tg_status_t status_;
};

}  // namespace tickguard

#endif  // TICKGUARD_HPP
