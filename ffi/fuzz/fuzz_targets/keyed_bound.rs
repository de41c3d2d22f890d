//! A keyed table from fuzzed configuration and size, hit by many keys
//! (integer and byte keys) at lagging and advancing ticks. Each key must
//! never be granted more than capacity + the refill of any interval of its
//! own timeline (the latest tick it was granted at), whatever the other
//! keys do: entries are taken over only from keys whose bucket is full
//! again (a key that returns at a tick before the takeover finds the entry
//! held), and a key never has two buckets. A full-table refusal names a
//! later tick. Reconfigurations to fuzzed rates start a new run whose
//! bound is the new configuration's (tokens are carried, never added);
//! invalid ones change nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickguard_ffi::*;

#[repr(C)]
struct Table {
    table: tg_keyed_table_t,
    entries: [tg_keyed_entry_t; 16],
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let mut capacity = u32::from(data[0] % 6) + 1;
    let mut tokens = u32::from(data[1] % 5) + 1;
    let mut period = u64::from(data[2] % 40) + 1;
    let len = usize::from(data[3] % 16) + 1;
    let config = tg_bucket_config_t {
        capacity,
        tokens,
        period_ticks: period,
        initial_fill: TG_BUCKET_FULL,
    };
    let mut t = Box::new(Table {
        table: tg_keyed_table_t::new(),
        entries: [const {
            tg_keyed_entry_t {
                _opaque: [const { core::cell::UnsafeCell::new(core::mem::MaybeUninit::new(0)) }; 2],
            }
        }; 16],
    });
    let (table, entries) = (
        &mut t.table as *mut tg_keyed_table_t,
        t.entries.as_mut_ptr(),
    );
    let seed = u64::from(data[4]);
    assert_eq!(
        tg_keyed_init(table, entries, len, &config, seed, !seed, TG_INIT_DEFAULT),
        TG_OK
    );
    let mut now = 1u64 << 40;
    // Per key: the ticks and counts of its grants, on its own timeline.
    // Integer keys 0..32, then byte keys 32..64.
    let mut grants: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 64];
    let mut latest = vec![0u64; 64];
    for chunk in data[5..].chunks(3).take(500) {
        let [key, n, step] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        now += u64::from(step % 16);
        let at = if step & 0x80 != 0 {
            now.saturating_sub(u64::from(step % 64))
        } else {
            now
        };
        if n & 0xF0 == 0xF0 {
            // A snapshot of the whole table restored at its own tick, as
            // after a reboot: a new run, whose bound is checked from here
            // (a restore keeps what each key may take at `now`; it does
            // not keep a past arrival time for callers lagging behind it).
            check(&grants, capacity, tokens, period);
            grants.iter_mut().for_each(Vec::clear);
            latest.iter_mut().for_each(|tick| *tick = 0);
            let mut saved = vec![0u8; 12 + 21 * len];
            assert_eq!(
                tg_keyed_snapshot(table, entries, len, now, saved.as_mut_ptr(), saved.len()),
                TG_OK
            );
            assert_eq!(
                tg_keyed_restore(table, entries, len, saved.as_ptr(), saved.len(), now),
                TG_OK
            );
        }
        if n & 0xF0 == 0xE0 {
            // Reconfigured at `now`: the run so far is checked under the
            // old configuration, the next one under the new.
            check(&grants, capacity, tokens, period);
            grants.iter_mut().for_each(Vec::clear);
            latest.iter_mut().for_each(|tick| *tick = 0);
            let next = tg_bucket_config_t {
                capacity: u32::from(key % 7),
                tokens: u32::from(step % 5) + 1,
                period_ticks: u64::from(key / 7 % 40) + 1,
                initial_fill: TG_BUCKET_FULL,
            };
            let status = tg_keyed_reconfigure(table, entries, len, &next, now);
            if next.capacity == 0 {
                assert_eq!(status, TG_E_CONFIG_ZERO_CAPACITY);
            } else {
                assert_eq!(status, TG_OK);
                (capacity, tokens, period) = (next.capacity, next.tokens, next.period_ticks);
            }
        }
        let k = usize::from(key % 32) + if key & 0x80 != 0 { 32 } else { 0 };
        let n = u32::from(n % 4);
        let mut retry_at = 0;
        let status = if key & 0x80 != 0 {
            let bytes = [key % 32, 0xAB, 0xCD];
            tg_keyed_acquire_bytes(
                table,
                entries,
                len,
                bytes.as_ptr(),
                bytes.len(),
                n,
                at,
                &mut retry_at,
            )
        } else {
            tg_keyed_acquire_u64(
                table,
                entries,
                len,
                u64::from(key % 32) | 1 << 40,
                n,
                at,
                &mut retry_at,
            )
        };
        match status {
            TG_OK if n > 0 => {
                latest[k] = latest[k].max(at);
                grants[k].push((latest[k], u64::from(n)));
            }
            TG_OK => {}
            TG_REFUSED | TG_TABLE_FULL => assert!(retry_at > at, "retry {retry_at} at {at}"),
            TG_E_EXCEEDS_CAPACITY => assert!(n > capacity),
            other => panic!("status {other}"),
        }
    }
    check(&grants, capacity, tokens, period);
});

/// No key was granted more than capacity + refill over any interval of its
/// own timeline.
fn check(grants: &[Vec<(u64, u64)>], capacity: u32, tokens: u32, period: u64) {
    for list in grants {
        for (i, &(start, _)) in list.iter().enumerate() {
            let mut taken = 0u64;
            for &(at, n) in &list[i..] {
                taken += n;
                let refill = (at - start) * u64::from(tokens) / period;
                assert!(
                    taken <= u64::from(capacity) + refill,
                    "{taken} granted in [{start}, {at}]"
                );
            }
        }
    }
}
