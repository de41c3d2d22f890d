mod support;

use support::{acquire, report, Server};
use tickguard::breaker::{self, BreakerConfig, BreakerSettings, Outcome, State};
use tickguard::time::Duration;
use tickguard_redis::{Options, RemoteKey, Store};

fn config() -> BreakerConfig {
    BreakerConfig::new(BreakerSettings {
        failure_threshold: 3,
        open: Duration::from_ticks(100_000),
        half_open_permits: 2,
        success_threshold: 2,
        ..BreakerConfig::DEFAULT_SETTINGS
    })
    .unwrap()
}

#[test]
fn three_failures_through_redis_open_the_breaker_for_every_host() {
    let server = Server::start();
    let mut one = Store::connect(&server.url(), Options::default()).unwrap();
    let mut two = Store::connect(&server.url(), Options::default()).unwrap();
    let mut at_one = RemoteKey::new(config(), "trip").unwrap();
    let mut at_two = RemoteKey::new(config(), "trip").unwrap();
    for failure in 1..=3 {
        let admitted = acquire(&mut one, &mut at_one).unwrap().unwrap();
        let permit = admitted.permit;
        let recorded = report(&mut one, &mut at_one, permit, Outcome::Failure);
        assert!(recorded.counted, "failure {failure}");
        assert_eq!(
            recorded.transition.is_some(),
            failure == 3,
            "failure {failure}"
        );
    }
    assert_eq!(
        two.decide(&mut at_two, |now| breaker::Observe { now })
            .unwrap(),
        State::Open
    );
    assert!(acquire(&mut two, &mut at_two).unwrap().is_err());
}
