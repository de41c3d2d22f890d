//! A real `redis-server` on a loopback port in a temporary directory,
//! started by each test that needs one and stopped when it is dropped.
//! The test command installs `redis-server` (`.ci/setup`).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

impl Server {
    /// A fresh server on a free port (another, if a test running beside
    /// this one took the port first).
    pub fn start() -> Self {
        for _ in 0..5 {
            let port = free_port();
            let dir =
                std::env::temp_dir().join(format!("tickguard-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a temporary directory");
            let mut server = Self {
                port,
                dir,
                child: None,
            };
            if server.run() {
                return server;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server process and waits (a bounded time) until it
    /// answers PING; `false` if it exited first (its port was taken).
    fn run(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (.ci/setup installs it)");
        self.child = Some(child);
        let url = self.url();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return false;
            }
            let pong = redis::Client::open(url.as_str())
                .and_then(|client| client.get_connection_with_timeout(Duration::from_millis(200)))
                .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
            if pong.is_ok() {
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (its data is lost: no persistence).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        assert!(
            self.run(),
            "redis-server did not start again on port {}",
            self.port
        );
    }

    /// A plain connection for setting up keys.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(2)))
            .expect("a connection")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

use tickguard::breaker::{self, Admitted, BreakerConfig, Outcome, Permit, Recorded, Trips};
use tickguard::bucket::{self, BucketConfig};
use tickguard_redis::{Error, RemoteKey, Store};

/// Takes `n` tokens from the bucket under `key`.
pub fn take(
    store: &mut Store,
    key: &mut RemoteKey<BucketConfig>,
    n: u32,
) -> Result<Result<(), bucket::Refused>, Error> {
    store.decide(key, |now| bucket::Acquire { n, now })
}

/// Asks the breaker under `key` to admit a call.
pub fn acquire(
    store: &mut Store,
    key: &mut RemoteKey<BreakerConfig>,
) -> Result<Result<Admitted, breaker::Refused>, Error> {
    store.decide(key, |now| breaker::Acquire { now })
}

/// Reports the call `permit` admitted to the breaker under `key`.
pub fn report(
    store: &mut Store,
    key: &mut RemoteKey<BreakerConfig>,
    permit: Permit,
    outcome: Outcome,
) -> Recorded {
    store
        .decide(key, |now| breaker::Record {
            permit,
            outcome,
            now,
            trips: Trips::NONE,
        })
        .expect("the server decides")
}
