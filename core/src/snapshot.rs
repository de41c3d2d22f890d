//! Snapshots: a primitive's state as a small byte string that survives a
//! reboot (data recovery, for the guards' own state).
//!
//! A snapshot is taken at a tick `now` and keeps every time in the state
//! relative to it; restored at another tick (after a reboot the tick
//! counter starts again at 0), the state continues as the original would
//! have, shifted by the difference: an OPEN breaker stays open for its
//! remaining time, a bucket keeps its tokens (and refills from there), a
//! budget its tokens. Times before the restoring counter's 0 become 0 (they
//! only ever mattered as "in the past").
//!
//! One format serves every machine ([`Format`]), fixed in size per type
//! ([`Format::LEN`]), little-endian:
//!
//! ```text
//! offset  size  field
//! 0       2     magic "tg"
//! 2       1     format version (1)
//! 3       1     kind: which machine (breaker 1, bucket 2, budget 3, levels 4)
//! 4       4     configuration fingerprint (CRC-32 of its settings)
//! 8       n     the state, times relative to the snapshot's `now`
//! 8 + n   4     CRC-32 (IEEE) of everything before it
//! ```
//!
//! Restoring checks, in order: length at least the header ([`SnapshotError::Truncated`]),
//! magic ([`SnapshotError::Corrupt`]), version ([`SnapshotError::Version`]),
//! kind ([`SnapshotError::Kind`]), length ([`SnapshotError::Truncated`]),
//! checksum ([`SnapshotError::Corrupt`]), configuration
//! ([`SnapshotError::Config`]: a snapshot applies only to the configuration
//! it was taken with) and finally the state's own fields (every count in
//! range, else [`SnapshotError::Corrupt`]). A rejected snapshot leaves the
//! primitive fresh. No input panics (a fuzz target feeds it garbage).
//!
//! ```
//! use tickguard::breaker::{self, Breaker, BreakerConfig, State};
//! use tickguard::snapshot::Snapshot;
//! use tickguard::time::{Duration, Instant};
//!
//! static CONFIG: BreakerConfig = BreakerConfig::DEFAULT;
//! let breaker = Breaker::new(&CONFIG);
//! let at = Instant::from_ticks;
//! breaker.open_for(Duration::from_ticks(30_000), at(1_000_000)).unwrap();
//! // 10 000 ticks later, saved to flash: 20 000 ticks of OPEN remain.
//! let saved: [u8; breaker::SNAPSHOT_LEN] = breaker.snapshot(at(1_010_000));
//!
//! // After a reboot the tick counter starts again at 0.
//! let rebooted = Breaker::new(&CONFIG);
//! rebooted.restore(&saved, at(0)).unwrap();
//! assert_eq!(rebooted.acquire(at(5)).unwrap_err().retry_at, Some(at(20_000)));
//! assert_eq!(rebooted.state(at(20_000)), State::HalfOpen);
//! ```

use crate::cell::StateCell;
use crate::machine::Machine;
use crate::time::{Instant, Tick};

/// Why a snapshot could not be taken or restored.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::breaker::{Breaker, BreakerConfig};
/// use tickguard::snapshot::{Snapshot, SnapshotError};
/// let breaker = Breaker::new(&BreakerConfig::DEFAULT);
/// assert_eq!(breaker.restore(&[0u8; 3], Instant::from_ticks(0)), Err(SnapshotError::Truncated));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SnapshotError {
    /// The buffer to save into is shorter than the type's snapshot length.
    BufferTooSmall,
    /// The snapshot is shorter or longer than its type's length.
    Truncated,
    /// Not a snapshot, a checksum mismatch, or a field out of range.
    Corrupt,
    /// Written by another version of the format.
    Version,
    /// A snapshot of another kind of primitive.
    Kind,
    /// Taken with another configuration.
    Config,
}

impl SnapshotError {
    /// Every error, in the order of their C statuses.
    pub const ALL: [SnapshotError; 6] = [
        Self::BufferTooSmall,
        Self::Truncated,
        Self::Corrupt,
        Self::Version,
        Self::Kind,
        Self::Config,
    ];

    /// The name as a C string (the C ABI's `tg_status_str` gives the same
    /// text for the matching `TG_E_SNAPSHOT_*` status).
    ///
    /// ```
    /// use tickguard::snapshot::SnapshotError;
    /// assert_eq!(SnapshotError::Kind.c_name().to_str(), Ok("snapshot of another kind of primitive"));
    /// ```
    #[must_use]
    pub const fn c_name(self) -> &'static core::ffi::CStr {
        match self {
            Self::BufferTooSmall => c"buffer too small for the snapshot",
            Self::Truncated => c"snapshot truncated or too long",
            Self::Corrupt => c"snapshot corrupt",
            Self::Version => c"snapshot of another format version",
            Self::Kind => c"snapshot of another kind of primitive",
            Self::Config => c"snapshot taken with another configuration",
        }
    }
}

crate::named!(SnapshotError);

impl core::error::Error for SnapshotError {}

/// The format's magic bytes.
const MAGIC: [u8; 2] = *b"tg";
/// The format version this crate writes and reads.
pub const VERSION: u8 = 1;
/// Bytes before the state: magic, version, kind, fingerprint.
pub const HEADER_LEN: usize = 8;
/// Bytes of the trailing checksum.
const CHECKSUM_LEN: usize = 4;

/// How a machine's state is saved: implemented by each primitive's
/// configuration.
///
/// ```
/// use tickguard::breaker::BreakerConfig;
/// use tickguard::snapshot::Format;
/// assert_eq!(<BreakerConfig as Format>::LEN, tickguard::breaker::SNAPSHOT_LEN);
/// ```
pub trait Format: Machine {
    /// The kind byte (unique per machine).
    const KIND: u8;
    /// Bytes of the state.
    const STATE_LEN: usize;
    /// Bytes of a whole snapshot.
    const LEN: usize = HEADER_LEN + Self::STATE_LEN + CHECKSUM_LEN;

    /// Feeds the configuration's settings to the fingerprint.
    fn fingerprint(&self, fields: &mut Fields<'_>);

    /// Writes `word`'s state, its times relative to `fields`' tick.
    fn save_state(&self, word: Self::Word, fields: &mut Fields<'_>);

    /// Reads a state written by [`save_state`](Self::save_state), its times
    /// made absolute at `fields`' tick; `None` for a field out of range.
    fn restore_state(&self, fields: &mut Fields<'_>) -> Option<Self::Word>;
}

/// A primitive whose state can be saved and restored.
///
/// ```
/// # use tickguard::bucket::BucketSettings;
/// # use tickguard::time::{Instant, Duration};
/// use tickguard::bucket::{BucketConfig, TokenBucket};
/// use tickguard::snapshot::Snapshot;
///
/// let config = BucketConfig::new(BucketSettings { capacity: 10, tokens: 1, period: Duration::from_ticks(100), initial_fill: None }).unwrap();
/// let bucket = TokenBucket::new(&config);
/// bucket.acquire(7, Instant::from_ticks(50_000)).unwrap();
/// let mut saved = [0u8; TokenBucket::<&BucketConfig>::SNAPSHOT_LEN];
/// bucket.save(Instant::from_ticks(50_000), &mut saved).unwrap();
///
/// let rebooted = TokenBucket::new(&config);
/// rebooted.restore(&saved, Instant::from_ticks(0)).unwrap();
/// assert_eq!(rebooted.available(Instant::from_ticks(0)), 3);
/// assert_eq!(rebooted.available(Instant::from_ticks(200)), 5);
/// ```
pub trait Snapshot {
    /// Bytes of this primitive's snapshot.
    const SNAPSHOT_LEN: usize;

    /// Saves the state at `now` into the start of `out`; returns the bytes
    /// written ([`SNAPSHOT_LEN`](Self::SNAPSHOT_LEN)), or
    /// [`SnapshotError::BufferTooSmall`].
    fn save(&self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError>;

    /// Replaces the state with the one `bytes` saved, as of `now`; on any
    /// error the primitive is left fresh (as `new` makes it).
    fn restore(&self, bytes: &[u8], now: Instant) -> Result<(), SnapshotError>;
}

/// Saves `word` of `machine` at `now` into the start of `out`: the bytes
/// written, or [`SnapshotError::BufferTooSmall`]. This is the whole format,
/// for a word held anywhere ([`crate::machine::run`]).
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::budget::BudgetConfig;
/// use tickguard::snapshot::{restore, save, Format};
/// let config = BudgetConfig::DEFAULT;
/// let mut out = [0u8; <BudgetConfig as Format>::LEN];
/// let len = save(&config, 2_000, Instant::from_ticks(7), &mut out).unwrap();
/// assert_eq!(restore(&config, &out[..len], Instant::from_ticks(0)), Ok(2_000));
/// ```
pub fn save<M: Format + ?Sized>(
    machine: &M,
    word: M::Word,
    now: Instant,
    out: &mut [u8],
) -> Result<usize, SnapshotError> {
    let Some(out) = out.get_mut(..M::LEN) else {
        return Err(SnapshotError::BufferTooSmall);
    };
    out.fill(0);
    let mut fields = Fields::new(out, now.ticks());
    fields.bytes(&MAGIC);
    fields.u8(VERSION);
    fields.u8(M::KIND);
    fields.u32(fingerprint(machine));
    machine.save_state(word, &mut fields);
    let body = M::LEN.saturating_sub(CHECKSUM_LEN);
    let sum = crc32(fields.data.get(..body).unwrap_or(&[]));
    fields.at = body;
    fields.u32(sum);
    Ok(M::LEN)
}

/// The word `bytes` saved for `machine`, as of `now`.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::budget::BudgetConfig;
/// use tickguard::snapshot::{restore, SnapshotError};
/// assert_eq!(restore(&BudgetConfig::DEFAULT, b"not a snapshot", Instant::ZERO), Err(SnapshotError::Corrupt));
/// ```
pub fn restore<M: Format + ?Sized>(
    machine: &M,
    bytes: &[u8],
    now: Instant,
) -> Result<M::Word, SnapshotError> {
    let header = bytes.get(..HEADER_LEN).ok_or(SnapshotError::Truncated)?;
    if header.get(..2) != Some(&MAGIC[..]) {
        return Err(SnapshotError::Corrupt);
    }
    if header.get(2) != Some(&VERSION) {
        return Err(SnapshotError::Version);
    }
    if header.get(3) != Some(&M::KIND) {
        return Err(SnapshotError::Kind);
    }
    if bytes.len() != M::LEN {
        return Err(SnapshotError::Truncated);
    }
    let (body, sum) = bytes.split_at(M::LEN.saturating_sub(CHECKSUM_LEN));
    if sum != crc32(body).to_le_bytes() {
        return Err(SnapshotError::Corrupt);
    }
    if header.get(4..8) != Some(&fingerprint(machine).to_le_bytes()[..]) {
        return Err(SnapshotError::Config);
    }
    let mut copy = [0u8; MAX_STATE_LEN];
    let state = body.get(HEADER_LEN..).unwrap_or(&[]);
    let copy = copy.get_mut(..state.len()).ok_or(SnapshotError::Corrupt)?;
    copy.copy_from_slice(state);
    let mut fields = Fields::new(copy, now.ticks());
    let word = machine
        .restore_state(&mut fields)
        .ok_or(SnapshotError::Corrupt)?;
    // No field past the state; bytes the state leaves unused are 0.
    let (read, overrun) = (fields.at, fields.overrun);
    if overrun
        || copy
            .get(read..)
            .is_some_and(|rest| rest.iter().any(|&b| b != 0))
    {
        return Err(SnapshotError::Corrupt);
    }
    Ok(word)
}

/// The longest state of any machine (and settings of any configuration);
/// a test checks every [`Format`].
pub(crate) const MAX_STATE_LEN: usize = 64;

/// A configuration's fingerprint: CRC-32 of its settings.
fn fingerprint<M: Format + ?Sized>(machine: &M) -> u32 {
    let mut settings = [0u8; MAX_STATE_LEN];
    let mut fields = Fields::new(&mut settings, 0);
    machine.fingerprint(&mut fields);
    let len = fields.at.min(MAX_STATE_LEN);
    crc32(settings.get(..len).unwrap_or(&[]))
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`), bit by bit: no table
/// in flash.
///
/// ```
/// assert_eq!(tickguard::snapshot::crc32(b"123456789"), 0xCBF4_3926);
/// ```
#[must_use]
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The fields of a snapshot being written or read, in order, with times
/// relative to the snapshot's tick. Writing past the end, or reading past
/// it, is recorded (never a panic) and makes the snapshot corrupt.
///
/// ```
/// # use tickguard::time::Instant;
/// use tickguard::snapshot::Fields;
/// let mut bytes = [0u8; 8];
/// Fields::new(&mut bytes, 1_000).tick(1_250);
/// assert_eq!(Fields::new(&mut bytes, 0).read_tick(), 250);
/// ```
#[derive(Debug)]
pub struct Fields<'a> {
    data: &'a mut [u8],
    at: usize,
    now: Tick,
    overrun: bool,
}

impl<'a> Fields<'a> {
    /// Fields over `data`, with times relative to `now`.
    pub fn new(data: &'a mut [u8], now: Tick) -> Self {
        Self {
            data,
            at: 0,
            now,
            overrun: false,
        }
    }

    /// The next `N` bytes, or `None` past the end.
    fn next<const N: usize>(&mut self) -> Option<&mut [u8; N]> {
        let end = self.at.saturating_add(N);
        let slot = self
            .data
            .get_mut(self.at..end)
            .and_then(|slot| <&mut [u8; N]>::try_from(slot).ok());
        self.at = end;
        if slot.is_none() {
            self.overrun = true;
        }
        slot
    }

    fn bytes(&mut self, bytes: &[u8; 2]) {
        if let Some(slot) = self.next::<2>() {
            *slot = *bytes;
        }
    }

    /// Writes a byte.
    pub fn u8(&mut self, value: u8) {
        if let Some(slot) = self.next::<1>() {
            *slot = [value];
        }
    }

    /// Writes a 16-bit integer.
    pub fn u16(&mut self, value: u16) {
        if let Some(slot) = self.next() {
            *slot = value.to_le_bytes();
        }
    }

    /// Writes a 32-bit integer.
    pub fn u32(&mut self, value: u32) {
        if let Some(slot) = self.next() {
            *slot = value.to_le_bytes();
        }
    }

    /// Writes a 64-bit integer.
    pub fn u64(&mut self, value: u64) {
        if let Some(slot) = self.next() {
            *slot = value.to_le_bytes();
        }
    }

    /// Writes a tick, as its distance from the snapshot's tick (saturating
    /// at ±2^63; the largest distance stands for the end of time, `u64::MAX`,
    /// a deadline that never comes).
    pub fn tick(&mut self, tick: Tick) {
        let offset = i128::from(tick).wrapping_sub(i128::from(self.now));
        let offset = i64::try_from(offset).unwrap_or(if offset < 0 { i64::MIN } else { i64::MAX });
        self.u64(offset as u64);
    }

    /// Writes a 128-bit time in units of `per_tick` per tick (a bucket's
    /// TAT), as its distance from the snapshot's tick in those units
    /// (saturating).
    pub fn time128(&mut self, time: u128, per_tick: u32) {
        let now = u128::from(self.now).saturating_mul(u128::from(per_tick));
        let offset = if time >= now {
            i128::try_from(time.wrapping_sub(now)).unwrap_or(i128::MAX)
        } else {
            i128::try_from(now.wrapping_sub(time)).map_or(i128::MIN, i128::wrapping_neg)
        };
        if let Some(slot) = self.next() {
            *slot = offset.to_le_bytes();
        }
    }

    /// Reads a byte (0 past the end).
    pub fn read_u8(&mut self) -> u8 {
        self.next::<1>().map_or(0, |&mut [byte]| byte)
    }

    /// Reads a 16-bit integer (0 past the end).
    pub fn read_u16(&mut self) -> u16 {
        self.next().map_or(0, |slot| u16::from_le_bytes(*slot))
    }

    /// Reads a 32-bit integer (0 past the end).
    pub fn read_u32(&mut self) -> u32 {
        self.next().map_or(0, |slot| u32::from_le_bytes(*slot))
    }

    /// Reads a 64-bit integer (0 past the end).
    pub fn read_u64(&mut self) -> u64 {
        self.next().map_or(0, |slot| u64::from_le_bytes(*slot))
    }

    /// Reads a tick written by [`tick`](Self::tick), made absolute at this
    /// snapshot's tick (clamped to `0..=u64::MAX`).
    pub fn read_tick(&mut self) -> Tick {
        let offset = self.read_u64() as i64;
        if offset == i64::MAX {
            return u64::MAX;
        }
        let tick = i128::from(self.now).wrapping_add(i128::from(offset));
        u64::try_from(tick.max(0)).unwrap_or(u64::MAX)
    }

    /// Reads a 128-bit time written by [`time128`](Self::time128) with the
    /// same `per_tick`, made absolute (clamped to `0..=u128::MAX`; the
    /// largest distance is the end of time), with its offset.
    pub fn read_time128(&mut self, per_tick: u32) -> (u128, i128) {
        let offset = self.next().map_or(0, |slot| i128::from_le_bytes(*slot));
        if offset == i128::MAX {
            return (u128::MAX, offset);
        }
        let now = u128::from(self.now).saturating_mul(u128::from(per_tick));
        let time = if offset >= 0 {
            now.saturating_add(offset.unsigned_abs())
        } else {
            now.saturating_sub(offset.unsigned_abs())
        };
        (time, offset)
    }
}

/// [`Snapshot::save`] for a primitive kept in one cell.
pub(crate) fn save_cell<M: Format + ?Sized>(
    machine: &M,
    cell: &StateCell<M::Word>,
    now: Instant,
    out: &mut [u8],
) -> Result<usize, SnapshotError> {
    save(machine, cell.load(), now, out)
}

/// [`Snapshot::restore`] for a primitive kept in one cell: the restored
/// word, or the fresh one on error.
pub(crate) fn restore_cell<M: Format + ?Sized>(
    machine: &M,
    cell: &StateCell<M::Word>,
    bytes: &[u8],
    now: Instant,
) -> Result<(), SnapshotError> {
    let restored = restore(machine, bytes, now);
    cell.store(*restored.as_ref().unwrap_or(&machine.fresh()));
    restored.map(|_| ())
}

/// Implements [`Snapshot`] for a primitive whose state is one cell, given
/// how to reach its machine and its cell.
macro_rules! snapshot_of_one_cell {
    ($(#[$attr:meta])* impl$([$($generics:tt)*])? for $ty:ty { machine: $config:ty, |$this:ident| ($machine:expr, $cell:expr) }) => {
        $(#[$attr])*
        impl$(<$($generics)*>)? $crate::snapshot::Snapshot for $ty {
            const SNAPSHOT_LEN: usize = <$config as $crate::snapshot::Format>::LEN;

            fn save(&self, now: $crate::time::Instant, out: &mut [u8]) -> Result<usize, $crate::snapshot::SnapshotError> {
                let $this = self;
                $crate::snapshot::save_cell($machine, $cell, now, out)
            }

            fn restore(&self, bytes: &[u8], now: $crate::time::Instant) -> Result<(), $crate::snapshot::SnapshotError> {
                let $this = self;
                $crate::snapshot::restore_cell($machine, $cell, bytes, now)
            }
        }
    };
}
pub(crate) use snapshot_of_one_cell;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breaker::BreakerConfig;
    use crate::bucket::BucketConfig;
    use crate::budget::BudgetConfig;
    use crate::degrade::Levels;
    #[allow(unused_imports)]
    use crate::time::testing::{span, tick};

    /// Every state and every configuration's settings fit the scratch
    /// space `restore` and the fingerprint use.
    #[test]
    fn every_format_fits_the_scratch_space() {
        fn fits<M: Format>(machine: &M) {
            assert!(M::STATE_LEN <= MAX_STATE_LEN);
            let mut settings = [0u8; MAX_STATE_LEN];
            let mut fields = Fields::new(&mut settings, 0);
            machine.fingerprint(&mut fields);
            assert!(!fields.overrun);
        }
        fits(&BreakerConfig::DEFAULT);
        fits(&BucketConfig::DEFAULT);
        fits(&BudgetConfig::DEFAULT);
        fits(&Levels);
        let kinds = [
            <BreakerConfig as Format>::KIND,
            <BucketConfig as Format>::KIND,
            <BudgetConfig as Format>::KIND,
            <Levels as Format>::KIND,
        ];
        for (i, kind) in kinds.iter().enumerate() {
            assert!(!kinds[..i].contains(kind), "kinds are unique");
        }
    }

    #[test]
    fn ticks_saturate_and_clamp() {
        let mut bytes = [0u8; 8];
        Fields::new(&mut bytes, 0).tick(u64::MAX);
        assert_eq!(Fields::new(&mut bytes, 5).read_tick(), u64::MAX);
        Fields::new(&mut bytes, u64::MAX).tick(0);
        assert_eq!(Fields::new(&mut bytes, 3).read_tick(), 0);
        let mut wide = [0u8; 16];
        Fields::new(&mut wide, 10).time128(5, 3);
        assert_eq!(Fields::new(&mut wide, 0).read_time128(3), (0, -25));
    }
}
