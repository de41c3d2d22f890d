// cpp_wrapper_test.cpp: the C++ wrapper (include/tickguard.hpp) as its users
// rely on it. Compiled as C++17 and C++20, with and without exceptions and
// RTTI. (That ignoring a decision does not compile is checked by run.sh,
// which compiles a program that drops one and expects the build to fail.)
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

#include "tickguard.hpp"

namespace {

unsigned passed, failed;

void check(bool ok, const char *what, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    std::fprintf(stderr, "cpp_wrapper_test.cpp:%d: CHECK failed: %s\n", line, what);
  }
}
#define CHECK(cond) check(static_cast<bool>(cond), #cond, __LINE__)

using tickguard::State;

// States are a scoped enum: no silent mix-up with integers.
static_assert(!std::is_convertible_v<State, tg_state_t>);
static_assert(!std::is_convertible_v<tg_state_t, State>);
static_assert(std::is_nothrow_move_constructible_v<tickguard::Call>);
static_assert(std::is_nothrow_move_assignable_v<tickguard::Call>);
static_assert(!std::is_copy_constructible_v<tickguard::Call>);
static_assert(!std::is_copy_constructible_v<tickguard::Breaker>);
static_assert(!std::is_move_constructible_v<tickguard::Bucket>);
static_assert(std::is_same_v<tickguard::Tick, uint64_t>);
static_assert(alignof(tg_breaker_t) == 16 && alignof(tg_bucket_t) == 16);
static_assert(tickguard::state_name(State::HalfOpen)[0] == 'H');

constexpr tg_breaker_config_t kOnePermit = {1, 100, 1, 1, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr tg_bucket_config_t kBucket = {3, 1, 10, TG_BUCKET_FULL};

// Globals with constant initialisation: no static constructor runs.
#if __cplusplus >= 202002L
constinit tickguard::Breaker global_breaker{kOnePermit};
constinit tickguard::Bucket global_bucket{kBucket};
#else
tickguard::Breaker global_breaker{kOnePermit};
tickguard::Bucket global_bucket{kBucket};
#endif
// The constructors are usable in constant expressions.
constexpr bool constructs_at_compile_time() {
  tickguard::Bucket bucket{kBucket};
  (void)bucket;
  return true;
}
static_assert(constructs_at_compile_time());

void errors_are_not_folded_into_false() {
  tickguard::Breaker breaker{kOnePermit};  // not initialised yet
  tickguard::Call call = breaker.acquire(0);
  CHECK(!call && call.status() == TG_E_UNINITIALIZED && !call.has_retry_at());
  tickguard::Result<State> state = breaker.state(0);
  CHECK(!state.ok() && state.status == TG_E_UNINITIALIZED);
  CHECK(breaker.force_open().status == TG_E_UNINITIALIZED);
  CHECK(breaker.open_for(10, 0).status == TG_E_UNINITIALIZED);

  tickguard::Bucket bucket{kBucket};
  CHECK(bucket.acquire(1, 0).status == TG_E_UNINITIALIZED);
  CHECK(bucket.available(0).status == TG_E_UNINITIALIZED);
  CHECK(bucket.init() == TG_OK);
  tickguard::Grant too_many = bucket.acquire(4, 0);
  CHECK(!too_many && !too_many.refused() && too_many.status == TG_E_EXCEEDS_CAPACITY);
  CHECK(bucket.acquire(3, 0));
  tickguard::Grant later = bucket.acquire(1, 0);
  CHECK(!later && later.refused() && later.retry_at == 10);
  CHECK(bucket.available(10).ok() && bucket.available(10).value == 1);

  tickguard::Breaker bad{tg_breaker_config_t{0, 100, 1, 1, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  CHECK(bad.init() == TG_E_CONFIG_FAILURE_THRESHOLD);
  tickguard::Breaker no_window{tickguard::with_failure_rate(kOnePermit, 500, 0)};
  CHECK(no_window.init() == TG_E_CONFIG_RATE_WINDOW);
  tickguard::Breaker endless{tickguard::with_closed_interval(kOnePermit, (1ull << 62) + 1)};
  CHECK(endless.init() == TG_E_CONFIG_CLOSED_INTERVAL);
}

// gobreaker's Interval through the wrapper: two failures open the breaker
// only within one 100-tick interval of CLOSED.
void closed_interval_clears_the_counts() {
  tg_breaker_config_t config = tickguard::with_closed_interval(kOnePermit, 100);
  config.failure_threshold = 2;
  tickguard::Breaker breaker{config};
  CHECK(breaker.init() == TG_OK);
  CHECK(breaker.acquire(0).fail(0).counted);           // [0, 100)
  CHECK(!breaker.acquire(100).fail(100).transition.changed);  // [100, 200)
  CHECK(breaker.acquire(199).fail(199).transition.to == State::Open);
}

// The event queue through the wrapper: a breaker's transitions pushed as
// they happen, drained in order; a full queue counts what it refused.
void transitions_go_through_the_event_queue() {
  static tickguard::EventQueue<2> events;
  CHECK(events.init() == TG_OK);
  tickguard::Breaker breaker{kOnePermit};
  CHECK(breaker.init() == TG_OK);
  tickguard::Recorded opened = breaker.acquire(0).fail(0);
  CHECK(events.push(0, 3, opened.transition) == TG_OK);
  CHECK(events.push(1, 3, tickguard::Transition{}) == TG_REFUSED);  // no change
  tickguard::Call trial = breaker.acquire(100);
  CHECK(events.push(100, 3, trial.transition()) == TG_OK);
  CHECK(events.push(100, 3, trial.transition()) == TG_REFUSED);  // full
  tickguard::Result<tg_event_t> first = events.pop();
  CHECK(first && first.value.at == 0 && first.value.source == 3 && first.value.to == TG_STATE_OPEN);
  tg_event_t rest[4];
  tickguard::Result<size_t> taken = events.drain(rest);
  CHECK(taken && taken.value == 1 && rest[0].to == TG_STATE_HALF_OPEN);
  CHECK(events.pop().status == TG_NOT_FOUND);
  CHECK(events.take_dropped().value == 1);
  (void)trial.succeed(101);
}

// gobreaker's ReadyToTrip through the wrapper: the rule rides with the
// breaker, every call's report judges it.
bool ready_to_trip(uint32_t, uint32_t calls, uint32_t failures, uintptr_t min_calls) {
  return calls >= min_calls && failures * 10 >= calls * 6;
}

void a_trip_rule_of_the_callers_opens_it() {
  tg_breaker_config_t config = tickguard::with_failure_rate(kOnePermit, 1000, 10);
  config.failure_threshold = 0;
  tickguard::Breaker breaker{config, ready_to_trip, 3};
  CHECK(breaker.init() == TG_OK);
  CHECK(!breaker.acquire(1).fail(1).transition.changed);
  CHECK(!breaker.acquire(2).succeed(2).transition.changed);
  CHECK(breaker.acquire(3).fail(3).transition.to == State::Open);
  CHECK(breaker.status(4).value.tripped_by == tickguard::TripReason::CustomRule);
}

// A trial period decided by its failure rate: 2 trials, half failing reopens.
void a_trial_period_decided_by_its_failure_rate() {
  tg_breaker_config_t config = tickguard::with_half_open_failure_rate(kOnePermit, 500);
  config.half_open_permits = 2;
  tickguard::Breaker breaker{config};
  CHECK(breaker.init() == TG_OK);
  CHECK(breaker.acquire(0).fail(0).transition.to == State::Open);
  tickguard::Call first = breaker.acquire(100);
  tickguard::Call second = breaker.acquire(100);
  CHECK(first && second);
  CHECK(!first.succeed(101).transition.changed);
  CHECK(second.fail(102).transition.to == State::Open);  // 1 of 2: 50 %
}

// Slow calls: over 10 ticks is slow; half of the last 2 slow opens; the
// call carries its admission tick; a slow trial fails its period.
void slow_calls_open_it() {
  tg_breaker_config_t config = tickguard::with_slow_calls(kOnePermit, 10, 500, 2, 2);
  config.failure_threshold = 0;
  tickguard::Breaker breaker{config};
  CHECK(breaker.init() == TG_OK);
  tickguard::Call fast = breaker.acquire(100);
  CHECK(fast && fast.acquired_at() == 100);
  CHECK(!fast.succeed(110).transition.changed);  // exactly 10: not slow
  CHECK(breaker.acquire(200).succeed(211).transition.to == State::Open);
  CHECK(breaker.status(212).value.tripped_by == tickguard::TripReason::SlowCallRate);
  tickguard::Result<tg_breaker_counts_t> counts = breaker.counts();
  CHECK(counts && counts.value.slow == 1 && counts.value.successes == 2);
  // The trial at 311 takes 20 ticks: slow, so it reopens.
  CHECK(breaker.acquire(311).succeed(331).transition.to == State::Open);
  CHECK(breaker.status(332).value.tripped_by == tickguard::TripReason::TrialFailed);
  tickguard::Breaker bad{tickguard::with_slow_calls(kOnePermit, 0, 500, 2)};
  CHECK(bad.init() == TG_E_CONFIG_LATENCY);
}

// A time window: half of the last 400 ticks' calls failing (4 at least)
// opens it; the oldest bucket leaves as the clock moves.
void a_time_window_rolls() {
  tg_breaker_config_t config = tickguard::with_time_window(kOnePermit, 400, 500, 4);
  config.failure_threshold = 0;
  tickguard::Breaker breaker{config};
  CHECK(breaker.init() == TG_OK);
  CHECK(!breaker.acquire(10).fail(10).transition.changed);
  CHECK(!breaker.acquire(20).fail(20).transition.changed);
  CHECK(!breaker.acquire(150).succeed(150).transition.changed);
  CHECK(!breaker.acquire(400).succeed(400).transition.changed);  // bucket 0 left
  tickguard::Result<tg_breaker_window_counts_t> counts = breaker.window_counts();
  CHECK(counts && counts.value.calls == 2 && counts.value.failures == 0);
  CHECK(!breaker.acquire(410).fail(410).transition.changed);
  CHECK(breaker.acquire(420).fail(420).transition.to == State::Open);  // 2 of 4
  tickguard::Breaker bad{tickguard::with_time_window(kOnePermit, 0, 500)};
  CHECK(bad.init() == TG_E_CONFIG_RATE_WINDOW);
  tickguard::Breaker rateless{tickguard::with_time_window(kOnePermit, 400, 0)};
  CHECK(rateless.init() == TG_E_CONFIG_RATE_DURATION);
}

// Open periods that double with each failed trial, up to a cap.
void open_periods_grow() {
  tickguard::Breaker breaker{tickguard::with_growing_open(kOnePermit, 2000, 300)};
  CHECK(breaker.init() == TG_OK);
  CHECK(breaker.acquire(0).fail(0).transition.to == State::Open);  // until 100
  CHECK(breaker.acquire(100).fail(100).transition.to == State::Open);  // 200 more
  CHECK(breaker.status(101).value.trial_at == 300);
  CHECK(breaker.acquire(300).fail(300).transition.to == State::Open);  // capped: 300
  CHECK(breaker.status(301).value.trial_at == 600);
  tickguard::Breaker bad{tickguard::with_growing_open(kOnePermit, 2000, 99)};
  CHECK(bad.init() == TG_E_CONFIG_MAX_OPEN);
}

// gobreaker's ratio rule through the wrapper: fail, succeed, fail opens a
// breaker that needs 3 calls with 60 % failing (the consecutive rule off).
void failure_rate_opens_on_a_ratio() {
  tg_breaker_config_t ratio = tickguard::with_failure_rate(kOnePermit, 600, 3, 3);
  ratio.failure_threshold = 0;
  tickguard::Breaker breaker{ratio};
  CHECK(breaker.init() == TG_OK);
  CHECK(breaker.acquire(1).fail(1).transition.changed == false);
  CHECK(breaker.acquire(2).succeed(2).transition.changed == false);
  tickguard::Result<tg_breaker_window_counts_t> counts = breaker.window_counts();
  CHECK(counts.ok() && counts.value.calls == 2 && counts.value.failures == 1);
  tickguard::Recorded third = breaker.acquire(3).fail(3);
  CHECK(third.transition.changed && third.transition.to == State::Open);
  CHECK(breaker.window_counts().value.calls == 0);
  tickguard::Result<tickguard::BreakerStatus> status = breaker.status(4);
  CHECK(status.ok() && status.value.state == State::Open);
  CHECK(status.value.tripped_by == tickguard::TripReason::FailureRate);
  CHECK(status.value.has_trial_at && status.value.trial_at == 3 + kOnePermit.open_ticks);
  tickguard::Result<tg_breaker_counts_t> decided = breaker.counts();
  CHECK(decided.ok() && decided.value.requests == 3 && decided.value.failures == 2);
  CHECK(decided.value.successes == 1 && decided.value.transitions[TG_STATE_OPEN] == 1);
}

// Opens `breaker` (threshold 1) at `now` and lets the open period pass.
void open_then_wait(tickguard::Breaker &breaker, tickguard::Tick now) {
  tickguard::Call call = breaker.acquire(now);
  CHECK(call);
  tickguard::Recorded r = call.fail(now);
  CHECK(r.status == TG_OK && r.counted && r.transition.changed && r.transition.to == State::Open);
}

void calls_report_once_and_move() {
  CHECK(global_breaker.init() == TG_OK);
  open_then_wait(global_breaker, 0);
  tickguard::Call refused = global_breaker.acquire(50);
  CHECK(!refused && refused.status() == TG_REFUSED && refused.has_retry_at() &&
        refused.retry_at() == 100);

  // HALF_OPEN admits one trial; a dropped call hands its permit back.
  {
    tickguard::Call trial = global_breaker.acquire(100);
    CHECK(trial && trial.transition().to == State::HalfOpen);
    CHECK(!global_breaker.acquire(101));  // the one permit is out
  }
  // Move assignment: the pending call is reported (IGNORED) before it is
  // replaced, so its permit comes back.
  tickguard::Call a = global_breaker.acquire(102);
  CHECK(a);
  a = global_breaker.acquire(103);  // refused: a's permit was still out
  CHECK(!a && a.status() == TG_REFUSED);
  a = global_breaker.acquire(104);  // a's refusal replaced; the permit is back
  CHECK(a);
  tickguard::Call b = std::move(a);
  CHECK(b);
  tickguard::Recorded first = b.succeed(105);
  CHECK(first.counted && first.transition.to == State::Closed);
  tickguard::Recorded second = b.succeed(106);  // already reported: nothing
  CHECK(!second.counted && second.status == TG_E_UNINITIALIZED);
  CHECK(global_breaker.state(106).value == State::Closed);

  tickguard::Result<tickguard::Transition> forced = global_breaker.force_open();
  CHECK(forced.ok() && forced.value.from == State::Closed && forced.value.to == State::ForcedOpen);
  tickguard::Call none = global_breaker.acquire(107);
  CHECK(!none && none.status() == TG_REFUSED && !none.has_retry_at());
  CHECK(global_breaker.disable().value.to == State::Disabled);
  CHECK(global_breaker.reset().value.to == State::Closed);
  tickguard::Result<tickguard::Tick> until = global_breaker.open_for(30, 200);
  CHECK(until.ok() && until.value == 230);
  CHECK(global_breaker.state(229).value == State::Open);
}

void tick_extender_works() {
  static tickguard::TickExtender ticks;
  CHECK(ticks.extend(5).status == TG_E_UNINITIALIZED);
  CHECK(ticks.init(0xFFFFFFFFu) == TG_OK);
  CHECK(ticks.init() == TG_E_ALREADY_INITIALIZED);
  tickguard::Result<tickguard::Tick> t = ticks.extend(3);
  CHECK(t.ok() && t.value == 0x100000003ull);
}

void reinit_and_copies() {
  tickguard::Bucket bucket{kBucket};
  CHECK(bucket.init() == TG_OK);
  CHECK(bucket.acquire(3, 0));
  CHECK(bucket.init() == TG_E_ALREADY_INITIALIZED);
  CHECK(bucket.init(TG_INIT_REINIT) == TG_OK);
  CHECK(bucket.acquire(3, 0));
}

void retry_loop_works() {
  constexpr tg_retry_config_t config = {4,   TG_BACKOFF_EXPONENTIAL, 10, 0, 2000, TG_JITTER_NONE, 0, 0,
                                        100, TG_NO_DEADLINE};
  static tickguard::RetryPolicy policy{config};
  CHECK(policy.init() == TG_OK);
  tickguard::Tick clock = 1000;
  int calls = 0;
  tickguard::RetryResult r = tickguard::retry(
      policy, [&] { return ++calls < 3 ? tickguard::Attempted::failure() : tickguard::Attempted::success(); },
      [&] { return clock; }, [&](tickguard::Tick t) { clock = t; }, 42);
  CHECK(r.status == TG_OK && r.ok && r.attempts == 3);
  CHECK(clock == 1000 + 10 + 20); // waited 10, then 20
  calls = 0;
  tickguard::RetryResult gave_up = tickguard::retry(
      policy, [&] { return tickguard::Attempted::failure(); }, [&] { return clock; },
      [&](tickguard::Tick t) { clock = t; }, 7);
  CHECK(!gave_up.ok && gave_up.attempts == 4 && gave_up.give_up == TG_GIVE_UP_ATTEMPTS_EXHAUSTED);
  tickguard::RetryResult data_error = tickguard::retry(
      policy, [&] { return tickguard::Attempted::failure(TG_RETRY_OUTCOME_NOT_RETRYABLE); },
      [&] { return clock; }, [&](tickguard::Tick t) { clock = t; }, 7);
  CHECK(!data_error.ok && data_error.attempts == 1 && data_error.give_up == TG_GIVE_UP_NOT_RETRYABLE);
  tickguard::RetryPolicy uninitialised{config};
  tickguard::RetryResult broken = tickguard::retry(
      uninitialised, [&] { return tickguard::Attempted::failure(); }, [&] { return clock; },
      [&](tickguard::Tick t) { clock = t; }, 7);
  CHECK(broken.status == TG_E_UNINITIALIZED && !broken.ok);
}

void global_bucket_works() {
  CHECK(global_bucket.init() == TG_OK);
  CHECK(global_bucket.acquire(3, 0));
  CHECK(global_bucket.reset() == TG_OK);
  CHECK(global_bucket.available(0).value == 3);
  CHECK(global_bucket.acquire(1, 0));
  CHECK(global_bucket.reconfigure(tg_bucket_config_t{10, 1, 100, TG_BUCKET_FULL}, 0) == TG_OK);
  CHECK(global_bucket.available(0).value == 2);  // carried over
  CHECK(global_bucket.available(800).value == 10);
  CHECK(global_bucket.reconfigure(tg_bucket_config_t{0, 1, 100, TG_BUCKET_FULL}, 0) == TG_E_CONFIG_ZERO_CAPACITY);
  CHECK(global_bucket.reconfigure(kBucket, 800) == TG_OK && global_bucket.available(800).value == 3);
}

// The fixed window: admitted, denied with the roll-over tick, the missed
// count reported once, snapshots, errors kept apart from denials.
#if __cplusplus >= 202002L
constinit tickguard::FixedWindow global_log_limit{tg_fixed_window_config_t{2, 100}};
#else
tickguard::FixedWindow global_log_limit{tg_fixed_window_config_t{2, 100}};
#endif
static_assert(!std::is_move_constructible_v<tickguard::FixedWindow>);
static_assert(alignof(tg_fixed_window_t) == 16);

void fixed_window_works() {
  tickguard::FixedWindow uninitialised{tg_fixed_window_config_t{2, 100}};
  tickguard::Verdict v = uninitialised.acquire(1, 0);
  CHECK(!v && v.status == TG_E_UNINITIALIZED);
  CHECK(global_log_limit.init() == TG_OK);
  CHECK(global_log_limit.acquire(2, 1000));
  v = global_log_limit.acquire(1, 1001);
  CHECK(!v && v.status == TG_REFUSED && v.has_retry_at && v.retry_at == 1100);
  CHECK(global_log_limit.remaining(1050).value == 0);
  uint8_t saved[TG_FIXED_WINDOW_SNAPSHOT_SIZE];
  CHECK(global_log_limit.snapshot(1050, saved) == TG_OK);
  v = global_log_limit.acquire(1, 1100);
  CHECK(v && v.missed == 1);
  CHECK(global_log_limit.take_missed().value == 0);
  tickguard::FixedWindow rebooted{tg_fixed_window_config_t{2, 100}};
  CHECK(rebooted.init() == TG_OK);
  CHECK(rebooted.restore(saved, sizeof saved, 0) == TG_OK);
  CHECK(rebooted.take_missed().value == 1);
  CHECK(rebooted.remaining(49).value == 0 && rebooted.remaining(50).value == 2);
  CHECK(rebooted.reconfigure(tg_fixed_window_config_t{5, 100}) == TG_OK);
  CHECK(rebooted.remaining(50).value == 5);
  CHECK(rebooted.reconfigure(tg_fixed_window_config_t{1, (uint64_t{1} << 62) + 1}) == TG_E_CONFIG_INTERVAL);
  CHECK(rebooted.remaining(50).value == 5);
  CHECK(rebooted.reset() == TG_OK);
  CHECK(rebooted.raw() != nullptr);
  tickguard::FixedWindow invalid{tg_fixed_window_config_t{1, (uint64_t{1} << 62) + 1}};
  CHECK(invalid.init() == TG_E_CONFIG_INTERVAL);
}

// The shaper: send ticks, refusals past the longest wait, snapshots.
static_assert(!std::is_move_constructible_v<tickguard::Shaper>);

void shaper_works() {
  tickguard::Shaper shaper{tg_shaper_config_t{1, 1, 100, 150}};
  CHECK(shaper.schedule(1, 0).status == TG_E_UNINITIALIZED);
  CHECK(shaper.init() == TG_OK);
  tickguard::Departure slot = shaper.schedule(1, 1000);
  CHECK(slot && slot.send_at == 1000);
  CHECK(shaper.schedule(1, 1000).send_at == 1100);
  slot = shaper.schedule(1, 1000);
  CHECK(!slot && slot.status == TG_REFUSED && slot.retry_at == 1050);
  CHECK(shaper.schedule(2, 1000).status == TG_E_EXCEEDS_CAPACITY);
  uint8_t saved[TG_SHAPER_SNAPSHOT_SIZE];
  CHECK(shaper.snapshot(1000, saved) == TG_OK);
  tickguard::Shaper rebooted{tg_shaper_config_t{1, 1, 100, 150}};
  CHECK(rebooted.init() == TG_OK);
  CHECK(rebooted.restore(saved, sizeof saved, 0) == TG_OK);
  CHECK(rebooted.schedule(1, 50).send_at == 200);
  CHECK(shaper.reset() == TG_OK && shaper.schedule(1, 1000).send_at == 1000);
  CHECK(shaper.reconfigure(tg_shaper_config_t{1, 1, 50, 150}, 1000) == TG_OK);
  CHECK(shaper.schedule(1, 1000).send_at == 1050);  // the send at 1000 kept, then every 50
  CHECK(shaper.reconfigure(tg_shaper_config_t{0, 1, 50, 150}, 1000) == TG_E_CONFIG_ZERO_CAPACITY);
  CHECK(shaper.raw() != nullptr);
  tickguard::Shaper invalid{tg_shaper_config_t{1, 1, 100, (uint64_t{1} << 62) + 1}};
  CHECK(invalid.init() == TG_E_CONFIG_MAX_WAIT);
}

// The sliding-window counter: grants, refusals with their tick, snapshots.
static_assert(!std::is_move_constructible_v<tickguard::SlidingWindow>);

void sliding_window_works() {
  tickguard::SlidingWindow per_1000{tg_sliding_window_config_t{10, 1000}};
  CHECK(per_1000.acquire(1, 0).status == TG_E_UNINITIALIZED);
  CHECK(per_1000.init() == TG_OK);
  CHECK(per_1000.acquire(10, 0));
  tickguard::Grant grant = per_1000.acquire(1, 0);
  CHECK(!grant && grant.refused() && grant.retry_at == 1100);
  CHECK(per_1000.acquire(11, 0).status == TG_E_EXCEEDS_CAPACITY);
  CHECK(per_1000.available(1500).value == 5);
  uint8_t saved[TG_SLIDING_WINDOW_SNAPSHOT_SIZE];
  CHECK(per_1000.snapshot(500, saved) == TG_OK);
  tickguard::SlidingWindow rebooted{tg_sliding_window_config_t{10, 1000}};
  CHECK(rebooted.init() == TG_OK);
  CHECK(rebooted.restore(saved, sizeof saved, 500) == TG_OK);
  CHECK(rebooted.available(1500).value == 5);
  CHECK(per_1000.reconfigure(tg_sliding_window_config_t{20, 1000}) == TG_OK);
  CHECK(per_1000.available(1500).value == 15);
  CHECK(per_1000.reconfigure(tg_sliding_window_config_t{0, 1000}) == TG_E_CONFIG_LIMIT);
  CHECK(per_1000.available(1500).value == 15);
  CHECK(per_1000.reconfigure(tg_sliding_window_config_t{10, 1000}) == TG_OK);
  CHECK(per_1000.reset() == TG_OK && per_1000.available(0).value == 10);
  CHECK(per_1000.raw() != nullptr);
  tickguard::SlidingWindow invalid{tg_sliding_window_config_t{0, 1000}};
  CHECK(invalid.init() == TG_E_CONFIG_LIMIT);
}

// The bulkhead: slots given back on scope exit and on move-assignment.
static_assert(!std::is_move_constructible_v<tickguard::Bulkhead>);
static_assert(std::is_nothrow_move_constructible_v<tickguard::BulkheadSlot>);
static_assert(!std::is_copy_constructible_v<tickguard::BulkheadSlot>);

void bulkhead_works() {
  tickguard::Bulkhead pool{tg_bulkhead_config_t{2, 100}};
  CHECK(pool.enter(0).status == TG_E_UNINITIALIZED);
  CHECK(pool.init() == TG_OK);
  {
    tickguard::BulkheadSlot a = pool.enter(0);
    tickguard::BulkheadSlot b = pool.enter(0);
    CHECK(a && b && pool.in_flight().value == 2);
    tickguard::BulkheadSlot c = pool.enter(50);
    CHECK(!c && c.status == TG_REFUSED && c.wait_until == 150);
    tickguard::BulkheadSlot moved = std::move(a);
    CHECK(moved && !a && pool.in_flight().value == 2);
    CHECK(moved.release() == TG_OK && pool.in_flight().value == 1);
    CHECK(moved.release() == TG_OK);  // nothing held: nothing to give back
    b = pool.enter(0);  // a free slot: taken, then b's old one given back
    CHECK(b && pool.in_flight().value == 1);
    b = tickguard::BulkheadSlot();  // assigned over: given back
    CHECK(!b && pool.in_flight().value == 0);
  }
  CHECK(pool.in_flight().value == 0);
  tickguard::BulkheadSlot held = pool.enter(0);
  CHECK(pool.reconfigure(tg_bulkhead_config_t{1, 0}) == TG_OK && !pool.enter(0));  // full at 1
  CHECK(pool.reconfigure(tg_bulkhead_config_t{65, 0}) == TG_E_CONFIG_MAX_CONCURRENT);
  CHECK(pool.reconfigure(tg_bulkhead_config_t{2, 100}) == TG_OK && pool.in_flight().value == 1);
  CHECK(pool.reset() == TG_OK);
  CHECK(held.release() == TG_E_NOT_HELD);
  CHECK(pool.raw() != nullptr);
  tickguard::Bulkhead invalid{tg_bulkhead_config_t{65, 0}};
  CHECK(invalid.init() == TG_E_CONFIG_MAX_CONCURRENT);
}

// Keyed buckets: a fixed table, per-key limits, a full table reported.
static_assert(!std::is_move_constructible_v<tickguard::KeyedBuckets<4>>);
tickguard::KeyedBuckets<1> global_one_entry{tg_bucket_config_t{2, 1, 100, TG_BUCKET_FULL}};

void keyed_buckets_work() {
  CHECK(global_one_entry.acquire(1, 1, 0).status == TG_E_UNINITIALIZED);
  CHECK(global_one_entry.init(11, 12) == TG_OK);
  CHECK(global_one_entry.acquire(1, 2, 0));
  tickguard::Grant grant = global_one_entry.acquire(1, 1, 10);
  CHECK(grant.refused() && grant.retry_at == 100);
  grant = global_one_entry.acquire(2, 1, 10);
  CHECK(!grant && grant.status == TG_TABLE_FULL && grant.retry_at == 200);
  const char key[] = "2001:db8::7";
  CHECK(global_one_entry.acquire(key, sizeof key - 1, 1, 200));
  CHECK(global_one_entry.available(1, 200).value == 0);
  CHECK(global_one_entry.limiting(200).value == 1);
  CHECK(global_one_entry.reset() == TG_OK && global_one_entry.limiting(200).value == 0);
  CHECK(global_one_entry.acquire(1, 3, 0).status == TG_E_EXCEEDS_CAPACITY);
  CHECK(global_one_entry.acquire(1, 1, 200));
  CHECK(global_one_entry.reconfigure(tg_bucket_config_t{4, 1, 100, TG_BUCKET_FULL}, 200) == TG_OK);
  CHECK(global_one_entry.available(1, 200).value == 1);  // carried, not refilled
  CHECK(global_one_entry.acquire(1, 5, 200).status == TG_E_EXCEEDS_CAPACITY);
  CHECK(global_one_entry.reconfigure(tg_bucket_config_t{0, 1, 100, TG_BUCKET_FULL}, 200) == TG_E_CONFIG_ZERO_CAPACITY);
  tickguard::KeyedBuckets<1> invalid{tg_bucket_config_t{0, 1, 100, TG_BUCKET_FULL}};
  CHECK(invalid.init(0, 0) == TG_E_CONFIG_ZERO_CAPACITY);
}

// Sliding log: exactly N per window, the tick the oldest leaves.
static_assert(!std::is_move_constructible_v<tickguard::SlidingLog<2>>);
tickguard::SlidingLog<2> global_logins{tg_sliding_log_config_t{1000}};

void sliding_log_works() {
  CHECK(global_logins.acquire(0).status == TG_E_UNINITIALIZED);
  CHECK(global_logins.init() == TG_OK);
  CHECK(global_logins.init() == TG_E_ALREADY_INITIALIZED);
  CHECK(global_logins.acquire(100));
  CHECK(global_logins.acquire(700));
  tickguard::Grant grant = global_logins.acquire(800);
  CHECK(grant.refused() && grant.retry_at == 1100);
  CHECK(global_logins.available(1100).value == 1);
  uint8_t saved[TG_SLIDING_LOG_SNAPSHOT_SIZE(2)];
  CHECK(global_logins.snapshot(800, saved) == TG_OK);
  CHECK(global_logins.reset() == TG_OK && global_logins.available(800).value == 2);
  CHECK(global_logins.restore(saved, sizeof saved, 5000) == TG_OK);  // admissions 700 and 100 ticks before
  CHECK(global_logins.available(5000).value == 0 && global_logins.available(5300).value == 1);
  CHECK(global_logins.reconfigure(tg_sliding_log_config_t{200}) == TG_OK);  // the one 100 ticks before stays
  CHECK(global_logins.available(5000).value == 1);
  CHECK(global_logins.reconfigure(tg_sliding_log_config_t{0}) == TG_E_CONFIG_WINDOW);

  CHECK(global_logins.reset() == TG_OK);
  tickguard::SlidingLog<1> invalid{tg_sliding_log_config_t{0}};
  CHECK(invalid.init() == TG_E_CONFIG_WINDOW);
}

// Adaptive limit: AIMD from samples, slots given back on scope exit.
static_assert(!std::is_move_constructible_v<tickguard::AdaptiveLimit>);
static_assert(std::is_move_constructible_v<tickguard::AdaptiveSlot>);
tickguard::AdaptiveLimit global_adaptive{tg_adaptive_config_t{2, 1, 4, 500, 100, 0}};

void adaptive_limit_works() {
  CHECK(global_adaptive.enter(0).status == TG_E_UNINITIALIZED);
  CHECK(global_adaptive.init() == TG_OK);
  CHECK(global_adaptive.limit().value == 2);
  {
    tickguard::AdaptiveSlot first = global_adaptive.enter(0);
    tickguard::AdaptiveSlot second = global_adaptive.enter(0);
    CHECK(first && second && !global_adaptive.enter(0));
    tickguard::Result<tg_limit_change_t> change = first.finish(TG_SAMPLE_DONE, 10);
    CHECK(change.status == TG_OK && change.value.changed && change.value.to == 3);
    CHECK(!first && first.finish(TG_SAMPLE_DROPPED, 0).status == TG_OK);  // nothing held: nothing counted
    CHECK(global_adaptive.limit().value == 3);
    CHECK(second.finish(7, 0).status == TG_E_INVALID_ARGUMENT && second);  // unknown sample: still held
    tickguard::AdaptiveSlot moved = std::move(second);
    CHECK(moved && !second && global_adaptive.in_flight().value == 1);
  }  // `moved` given back as ignored
  CHECK(global_adaptive.in_flight().value == 0 && global_adaptive.limit().value == 3);
  tickguard::AdaptiveSlot slow = global_adaptive.enter(0);
  CHECK(slow.finish(TG_SAMPLE_DONE, 101).value.to == 1);
  uint8_t saved[TG_ADAPTIVE_SNAPSHOT_SIZE];
  CHECK(global_adaptive.snapshot(0, saved) == TG_OK);
  CHECK(global_adaptive.reset() == TG_OK && global_adaptive.limit().value == 2);
  CHECK(global_adaptive.restore(saved, sizeof saved, 0) == TG_OK && global_adaptive.limit().value == 1);
  CHECK(global_adaptive.reset() == TG_OK && global_adaptive.limit().value == 2);
  CHECK(global_adaptive.reconfigure(tg_adaptive_config_t{3, 3, 4, 500, 100, 0}) == TG_OK);
  CHECK(global_adaptive.limit().value == 3);
  CHECK(global_adaptive.reconfigure(tg_adaptive_config_t{3, 3, 5, 500, 100, 0}) == TG_E_CONFIG_ADAPTIVE_LIMITS);
  tickguard::AdaptiveLimit invalid{tg_adaptive_config_t{5, 1, 65, 500, 0, 0}};
  CHECK(invalid.init() == TG_E_CONFIG_ADAPTIVE_LIMITS);
}

// Keyed windows: per-key sliding windows, a full table reported.
static_assert(!std::is_move_constructible_v<tickguard::KeyedWindows<4>>);
tickguard::KeyedWindows<1> global_windows{tg_sliding_window_config_t{2, 100}};

void keyed_windows_work() {
  CHECK(global_windows.acquire(1, 1, 0).status == TG_E_UNINITIALIZED);
  CHECK(global_windows.init(3, 4) == TG_OK);
  CHECK(global_windows.acquire(1, 2, 1000));
  tickguard::Grant grant = global_windows.acquire(1, 1, 1050);
  CHECK(grant.refused() && grant.retry_at == 1150);  // the first window weighs a half by then
  grant = global_windows.acquire(2, 1, 1050);
  CHECK(!grant && grant.status == TG_TABLE_FULL && grant.retry_at == 1200);
  const char key[] = "alice";
  CHECK(global_windows.acquire(key, sizeof key - 1, 1, 1200));
  CHECK(global_windows.available(1, 1200).value == 0);
  CHECK(global_windows.limiting(1200).value == 1);
  CHECK(global_windows.reconfigure(tg_sliding_window_config_t{4, 100}) == TG_OK);
  CHECK(global_windows.acquire(key, sizeof key - 1, 3, 1200));  // 1 counted, 4 now allowed
  CHECK(global_windows.acquire(key, sizeof key - 1, 1, 1200).refused());
  CHECK(global_windows.reconfigure(tg_sliding_window_config_t{70000, 100}) == TG_E_CONFIG_LIMIT);
  static uint8_t saved[tickguard::KeyedWindows<1>::kSnapshotSize];
  static_assert(sizeof saved == 12 + 20, "one entry");
  CHECK(global_windows.snapshot(1200, saved) == TG_OK);
  CHECK(global_windows.reset() == TG_OK && global_windows.limiting(1200).value == 0);
  CHECK(global_windows.restore(saved, sizeof saved, 1200) == TG_OK && global_windows.limiting(1200).value == 1);
  CHECK(global_windows.restore(saved, sizeof saved - 1, 1200) == TG_E_SNAPSHOT_TRUNCATED);
  CHECK(global_windows.reset() == TG_OK && global_windows.limiting(1200).value == 0);
  tickguard::KeyedWindows<1> invalid{tg_sliding_window_config_t{70000, 100}};
  CHECK(invalid.init(0, 0) == TG_E_CONFIG_LIMIT);
}

// Budget, last-known-good store and degradation levels: every result
// carries its status.
tickguard::RetryBudget global_budget{tg_retry_budget_config_t{2, 1000}};
tickguard::Degradation global_degradation;

void budget_store_and_degradation_work() {
  CHECK(global_budget.state().status == TG_E_UNINITIALIZED);
  CHECK(global_budget.init() == TG_OK);
  CHECK(global_budget.init() == TG_E_ALREADY_INITIALIZED);
  tickguard::BudgetState full = global_budget.state();
  CHECK(full.status == TG_OK && full.allows_retry && full.tokens_milli == 2000);
  CHECK(global_budget.failure() == TG_OK);
  CHECK(!global_budget.state().allows_retry);  // 1 token of 2: not above half
  CHECK(global_budget.success() == TG_OK);
  CHECK(global_budget.state().allows_retry);
  tickguard::RetryBudget bad{tg_retry_budget_config_t{0, 100}};
  CHECK(bad.init() == TG_E_CONFIG_MAX_TOKENS);
  // A retry loop that asks the budget: spent, it stops retrying.
  tg_retry_config_t config;
  CHECK(tg_retry_config_default(&config) == TG_OK);
  config.jitter = TG_JITTER_NONE;
  tickguard::RetryPolicy policy{config};
  CHECK(policy.init() == TG_OK);
  CHECK(global_budget.failure() == TG_OK);
  tickguard::Tick clock = 0;
  tickguard::RetryResult r = tickguard::retry(
      policy, [&] { return tickguard::Attempted::failure(); }, [&] { return clock; },
      [&](tickguard::Tick t) { clock = t; }, 3, global_budget.raw());
  CHECK(!r.ok && r.attempts == 1 && r.give_up == TG_GIVE_UP_BUDGET_EMPTY);

  tickguard::LastKnownGood cache{100};
  CHECK(cache.serve("k", 1, 0).status == TG_E_UNINITIALIZED);
  CHECK(cache.init() == TG_OK);
  CHECK(cache.store("temp", 4, "21.5", 4, 10) == TG_OK);
  tickguard::Served served = cache.serve("temp", 4, 60);
  CHECK(served && served.len == 4 && std::memcmp(served.value, "21.5", 4) == 0 && served.age == 50);
  CHECK(cache.serve("temp", 4, 111).status == TG_NOT_FOUND);
  CHECK(cache.forget("temp", 4) == TG_OK);
  CHECK(cache.serve("temp", 4, 20).status == TG_NOT_FOUND);
  char long_key[TG_LKG_KEY_BYTES + 1] = {};
  CHECK(cache.store(long_key, sizeof long_key, "v", 1, 0) == TG_E_INVALID_ARGUMENT);

  CHECK(global_degradation.allows(1, 0).status == TG_E_UNINITIALIZED);
  CHECK(global_degradation.init() == TG_OK);
  CHECK(global_degradation.allows(1, 0));
  tickguard::LevelChange change = global_degradation.follow_breaker(tickguard::State::Open, 2);
  CHECK(change.status == TG_OK && change.changed && change.from == 0 && change.to == 2);
  CHECK(!global_degradation.follow_breaker(tickguard::State::HalfOpen, 2).changed);
  tickguard::Allowed shed = global_degradation.allows(2, 0);
  CHECK(!shed && shed.status == TG_OK && shed.level == 2);
  CHECK(global_degradation.set_level(3).to == 3);
  CHECK(global_degradation.set_feature(5, false) == TG_OK);
  CHECK(!global_degradation.allows(9, 5));
  CHECK(global_degradation.set_feature(32, false) == TG_E_INVALID_ARGUMENT);
}

// Snapshots: an open breaker restored after a "reboot" (ticks from 0)
// stays open for the time it had left; the bucket, budget and levels keep
// theirs; a snapshot of another kind is refused and leaves a fresh object.
void snapshots_survive_a_reboot() {
  tg_breaker_config_t config = tickguard::kDefaultBreakerConfig;
  config.failure_threshold = 1;
  config.open_ticks = 1000;
  tickguard::Breaker before{config}, after{config};
  CHECK(before.init() == TG_OK && after.init() == TG_OK);
  uint8_t saved[TG_BREAKER_SNAPSHOT_SIZE];
  CHECK(before.snapshot(0, saved) == TG_OK);
  (void)before.open_for(1000, 5000);
  CHECK(before.snapshot(5400, saved) == TG_OK);
  CHECK(after.restore(saved, sizeof saved, 0) == TG_OK);
  tickguard::Call refused = after.acquire(599);
  CHECK(!refused && refused.has_retry_at() && refused.retry_at() == 600);
  CHECK(after.state(600).value == tickguard::State::HalfOpen);

  tickguard::Bucket bucket{tg_bucket_config_t{4, 1, 10, TG_BUCKET_FULL}}, bucket_after{tg_bucket_config_t{4, 1, 10, TG_BUCKET_FULL}};
  CHECK(bucket.init() == TG_OK && bucket_after.init() == TG_OK);
  CHECK(bucket.acquire(4, 100));
  uint8_t tokens[TG_BUCKET_SNAPSHOT_SIZE];
  CHECK(bucket.snapshot(100, tokens) == TG_OK);
  CHECK(bucket_after.restore(saved, sizeof saved, 0) == TG_E_SNAPSHOT_KIND);
  CHECK(bucket_after.available(0).value == 4);
  CHECK(bucket_after.restore(tokens, sizeof tokens, 0) == TG_OK);
  CHECK(bucket_after.available(25).value == 2);

  tickguard::RetryBudget budget{tg_retry_budget_config_t{2, 1000}}, budget_after{tg_retry_budget_config_t{2, 1000}};
  CHECK(budget.init() == TG_OK && budget_after.init() == TG_OK);
  CHECK(budget.failure() == TG_OK);
  uint8_t held[TG_RETRY_BUDGET_SNAPSHOT_SIZE];
  CHECK(budget.snapshot(0, held) == TG_OK);
  CHECK(budget_after.restore(held, sizeof held, 0) == TG_OK);
  CHECK(budget_after.state().tokens_milli == 1000);

  tickguard::Degradation levels, levels_after;
  CHECK(levels.init() == TG_OK && levels_after.init() == TG_OK);
  (void)levels.set_level(2);
  uint8_t level[TG_DEGRADATION_SNAPSHOT_SIZE];
  CHECK(levels.snapshot(0, level) == TG_OK);
  CHECK(levels_after.restore(level, sizeof level, 0) == TG_OK);
  CHECK(levels_after.allows(9, 0).level == 2);

  tickguard::LastKnownGood cache{1000}, cache_after{1000};
  CHECK(cache.init() == TG_OK && cache_after.init() == TG_OK);
  CHECK(cache.store("temp", 4, "21.5", 4, 5000) == TG_OK);
  static uint8_t page[TG_LKG_SNAPSHOT_SIZE];
  CHECK(cache.snapshot(5200, page) == TG_OK);
  CHECK(cache_after.restore(page, sizeof page, 0) == TG_OK);
  tickguard::Served served = cache_after.serve("temp", 4, 10);
  CHECK(served && served.age == 210);
}


// A word in memory behind the C++ cell: a bucket and a breaker over it.
struct MemoryWord {
  tg_cell_word_t word{};
  bool broken = false;
  bool load(tg_cell_word_t &out) {
    out = word;
    return !broken;
  }
  int compare_and_set(const tg_cell_word_t &expected, const tg_cell_word_t &desired, tg_cell_word_t &found) {
    if (broken) return -1;
    if (word.low != expected.low || word.high != expected.high) {
      found = word;
      return 1;
    }
    word = desired;
    return 0;
  }
};

void cells_run_machines_over_a_word_kept_elsewhere() {
  MemoryWord limit_word;
  tickguard::Cell<MemoryWord> limit{limit_word};
  const tg_bucket_config_t bucket{2, 1, 100, TG_BUCKET_FULL};
  CHECK(limit.acquire(bucket, 2, 0));
  tickguard::Grant refused = limit.acquire(bucket, 1, 50);
  CHECK(refused.refused() && refused.retry_at == 100);
  CHECK(limit.acquire(bucket, 1, 100));
  limit_word.broken = true;
  CHECK(limit.acquire(bucket, 1, 1000).status == TG_E_CELL);
  CHECK(limit.raw()->load != nullptr);

  MemoryWord breaker_word;
  tickguard::Cell<MemoryWord> shared{breaker_word};
  tg_breaker_config_t config = tickguard::kDefaultBreakerConfig;
  config.failure_threshold = 1;
  config.open_ticks = 100;
  auto admitted = shared.admit(config, 10);
  CHECK(admitted.ok());
  auto recorded = shared.report(config, admitted.value.permit, TG_OUTCOME_FAILURE, 11);
  CHECK(recorded.ok() && recorded.value.transition.to == TG_STATE_OPEN);
  auto open = shared.admit(config, 20);
  CHECK(open.status == TG_REFUSED && open.value.retry_at == 111);
  config.failure_rate_per_mille = 500;
  config.rate_window = 10;
  CHECK(shared.admit(config, 200).status == TG_E_NOT_ONE_WORD);
}

#if TICKGUARD_HAS_CHRONO
// std::chrono: durations become ticks rounded up, the clock gives ticks, and
// a breaker configured and driven in them opens for the chrono duration.
void chrono_ticks_drive_a_breaker() {
  using Ms = tickguard::ChronoTicks<>;
  using Us = tickguard::ChronoTicks<std::chrono::microseconds>;
  static_assert(Ms::of(std::chrono::seconds(30)) == 30000);
  static_assert(Ms::of(std::chrono::microseconds(1500)) == 2);  // rounded up
  static_assert(Us::of(std::chrono::milliseconds(-5)) == 0);
  static_assert(Ms::of(std::chrono::hours(24 * 365) * 200000000) == TG_MAX_DURATION_TICKS + 1);
  tickguard::Tick before = Ms::now();
  CHECK(Ms::now() >= before);
  tg_breaker_config_t config = tickguard::kDefaultBreakerConfig;
  config.failure_threshold = 1;
  config.open_ticks = Ms::of(std::chrono::seconds(2));
  tickguard::Breaker breaker{config};
  CHECK(breaker.init() == TG_OK);
  tickguard::Tick now = Ms::now();
  tickguard::Call call = breaker.acquire(now);
  CHECK(call);
  call.fail(now);
  tickguard::Call refused = breaker.acquire(now + 1);
  CHECK(!refused && refused.retry_at() == now + 2000);
  tg_breaker_config_t too_long = config;
  too_long.open_ticks = Ms::of(std::chrono::hours(24 * 365) * 200000000);
  tickguard::Breaker bad{too_long};
  CHECK(bad.init() == TG_E_CONFIG_OPEN_TICKS);
}
#endif

}  // namespace

int main() {
  errors_are_not_folded_into_false();
  calls_report_once_and_move();
  failure_rate_opens_on_a_ratio();
  closed_interval_clears_the_counts();
  open_periods_grow();
  transitions_go_through_the_event_queue();
  a_trip_rule_of_the_callers_opens_it();
  a_trial_period_decided_by_its_failure_rate();
  slow_calls_open_it();
  a_time_window_rolls();
  global_bucket_works();
  fixed_window_works();
  shaper_works();
  sliding_window_works();
  bulkhead_works();
  keyed_buckets_work();
  sliding_log_works();
  adaptive_limit_works();
  keyed_windows_work();
  tick_extender_works();
  retry_loop_works();
  reinit_and_copies();
  budget_store_and_degradation_work();
  snapshots_survive_a_reboot();
  cells_run_machines_over_a_word_kept_elsewhere();
#if TICKGUARD_HAS_CHRONO
  chrono_ticks_drive_a_breaker();
#endif
  std::printf("%u passed, %u failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
