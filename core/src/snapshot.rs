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
//! 3       1     kind: breaker 1, bucket 2, budget 3, levels 4, last-known-good store 5
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
pub const CHECKSUM_LEN: usize = 4;

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
    Frame::of(machine).save(now, out, |fields| machine.save_state(word, fields))
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
    Frame::of(machine).restore(bytes, now, |fields| machine.restore_state(fields))
}

/// `machine`'s configuration fingerprint, as its snapshots carry it: a
/// CRC-32 of its settings, so a state saved (or stored) under one
/// configuration is recognised under another.
///
/// ```
/// use tickguard::breaker::{BreakerConfig, BreakerSettings};
/// use tickguard::snapshot::config_fingerprint;
/// let other = BreakerConfig::new(BreakerSettings { failure_threshold: 9, ..BreakerConfig::DEFAULT_SETTINGS }).unwrap();
/// assert_ne!(config_fingerprint(&BreakerConfig::DEFAULT), config_fingerprint(&other));
/// ```
pub fn config_fingerprint<M: Format + ?Sized>(machine: &M) -> u32 {
    fingerprint(|fields| machine.fingerprint(fields))
}

/// The one format around every kind of state: header, state, checksum.
/// Machines ([`Format`]) and tables (the last-known-good store) both go
/// through it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    /// The kind byte.
    pub(crate) kind: u8,
    /// The configuration's fingerprint.
    pub(crate) fingerprint: u32,
    /// Bytes of the whole snapshot (fixed per type and configuration).
    pub(crate) len: usize,
}

impl Frame {
    /// A machine's frame: its kind, its configuration's fingerprint, its
    /// length.
    fn of<M: Format + ?Sized>(machine: &M) -> Self {
        Self {
            kind: M::KIND,
            fingerprint: config_fingerprint(machine),
            len: M::LEN,
        }
    }

    /// Writes the frame with the state `write` puts in it, into the start
    /// of `out`.
    pub(crate) fn save(
        self,
        now: Instant,
        out: &mut [u8],
        write: impl FnOnce(&mut Fields<'_>),
    ) -> Result<usize, SnapshotError> {
        let Some(out) = out.get_mut(..self.len) else {
            return Err(SnapshotError::BufferTooSmall);
        };
        out.fill(0);
        let body = self.len.saturating_sub(CHECKSUM_LEN);
        let mut fields = Fields::new(out, now.ticks());
        fields.bytes(MAGIC);
        fields.u8(VERSION);
        fields.u8(self.kind);
        fields.u32(self.fingerprint);
        write(&mut fields);
        let sum = crc32(fields.written().get(..body).unwrap_or(&[]));
        fields.at = body;
        fields.u32(sum);
        Ok(self.len)
    }

    /// Checks `bytes` in order (length at least the header, magic, version,
    /// kind, length, checksum, configuration) and reads the state with
    /// `read`, which must consume every field written; bytes the state
    /// leaves unused must be 0.
    pub(crate) fn restore<T>(
        self,
        bytes: &[u8],
        now: Instant,
        read: impl FnOnce(&mut Fields<'_>) -> Option<T>,
    ) -> Result<T, SnapshotError> {
        let header = bytes.get(..HEADER_LEN).ok_or(SnapshotError::Truncated)?;
        if header.get(..2) != Some(&MAGIC[..]) {
            return Err(SnapshotError::Corrupt);
        }
        if header.get(2) != Some(&VERSION) {
            return Err(SnapshotError::Version);
        }
        if header.get(3) != Some(&self.kind) {
            return Err(SnapshotError::Kind);
        }
        if bytes.len() != self.len {
            return Err(SnapshotError::Truncated);
        }
        // `split_at_checked`: no panic path even where the length is not
        // proven (checked equal above).
        let (body, sum) = bytes
            .split_at_checked(self.len.saturating_sub(CHECKSUM_LEN))
            .ok_or(SnapshotError::Truncated)?;
        if sum != crc32(body).to_le_bytes() {
            return Err(SnapshotError::Corrupt);
        }
        if header.get(4..8) != Some(&self.fingerprint.to_le_bytes()[..]) {
            return Err(SnapshotError::Config);
        }
        let state = body.get(HEADER_LEN..).unwrap_or(&[]);
        let mut fields = Fields::reading(state, now.ticks());
        let value = read(&mut fields).ok_or(SnapshotError::Corrupt)?;
        // No field past the state; bytes the state leaves unused are 0.
        if fields.overrun
            || state
                .get(fields.at..)
                .is_some_and(|rest| rest.iter().any(|&b| b != 0))
        {
            return Err(SnapshotError::Corrupt);
        }
        Ok(value)
    }
}

/// The longest settings of any configuration, hashed into its fingerprint
/// (a test checks every [`Format`]).
pub(crate) const MAX_STATE_LEN: usize = 64;

/// A configuration's fingerprint: CRC-32 of the settings `write` puts
/// down.
pub(crate) fn fingerprint(write: impl FnOnce(&mut Fields<'_>)) -> u32 {
    let mut settings = [0u8; MAX_STATE_LEN];
    let mut fields = Fields::new(&mut settings, 0);
    write(&mut fields);
    let len = fields.at.min(MAX_STATE_LEN);
    crc32(settings.get(..len).unwrap_or(&[]))
}

/// A value of fixed size in a snapshot: the keys and values of a
/// last-known-good store.
///
/// ```
/// use tickguard::snapshot::{Codec, Fields};
/// let mut bytes = [0u8; 4];
/// 7u32.save(&mut Fields::new(&mut bytes, 0));
/// assert_eq!(u32::restore(&mut Fields::reading(&bytes, 0)), Some(7));
/// ```
pub trait Codec: Sized {
    /// Bytes it takes.
    const LEN: usize;

    /// Writes it.
    fn save(&self, fields: &mut Fields<'_>);

    /// Reads one written by [`save`](Self::save); `None` if the bytes are
    /// no such value.
    fn restore(fields: &mut Fields<'_>) -> Option<Self>;
}

/// Implements [`Codec`] for numbers, as their little-endian bytes.
macro_rules! number_codec {
    ($($ty:ty),*) => {$(
        impl Codec for $ty {
            const LEN: usize = core::mem::size_of::<$ty>();

            fn save(&self, fields: &mut Fields<'_>) {
                fields.bytes(self.to_le_bytes());
            }

            fn restore(fields: &mut Fields<'_>) -> Option<Self> {
                Some(<$ty>::from_le_bytes(fields.read_bytes()))
            }
        }
    )*};
}
number_codec!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl Codec for bool {
    const LEN: usize = 1;

    fn save(&self, fields: &mut Fields<'_>) {
        fields.u8(u8::from(*self));
    }

    fn restore(fields: &mut Fields<'_>) -> Option<Self> {
        match fields.read_u8() {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl<const N: usize> Codec for [u8; N] {
    const LEN: usize = N;

    fn save(&self, fields: &mut Fields<'_>) {
        fields.bytes(*self);
    }

    fn restore(fields: &mut Fields<'_>) -> Option<Self> {
        Some(fields.read_bytes())
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`), bit by bit: no table
/// in flash.
///
/// ```
/// assert_eq!(tickguard::snapshot::crc32(b"123456789"), 0xCBF4_3926);
/// ```
#[must_use]
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = Crc32::START;
    crc.update(bytes);
    crc.finish()
}

/// [`crc32`] over bytes that come in pieces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Crc32(u32);

impl Crc32 {
    pub(crate) const START: Self = Self(u32::MAX);

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u32::from(byte);
            for _ in 0..8 {
                let mask = (self.0 & 1).wrapping_neg();
                self.0 = (self.0 >> 1) ^ (0xEDB8_8320 & mask);
            }
        }
    }

    pub(crate) const fn finish(self) -> u32 {
        !self.0
    }
}

/// The longest record of a [`Records`] snapshot.
pub(crate) const MAX_RECORD_LEN: usize = 24;

/// A snapshot of a table: the frame's header, `count` records of `len`
/// bytes each (at most [`MAX_RECORD_LEN`]), the checksum; written and read
/// a record at a time, so that no buffer holds the whole (the C ABI copies
/// each record to or from the caller's memory).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Records {
    /// Kind and fingerprint; its `len` is the whole snapshot's.
    pub(crate) frame: Frame,
    pub(crate) count: usize,
    pub(crate) len: usize,
}

impl Records {
    /// The frame of `count` records of `len` bytes under `kind` and
    /// `fingerprint`.
    pub(crate) const fn new(kind: u8, fingerprint: u32, count: usize, len: usize) -> Self {
        Self {
            frame: Frame {
                kind,
                fingerprint,
                len: HEADER_LEN
                    .saturating_add(count.saturating_mul(len))
                    .saturating_add(CHECKSUM_LEN),
            },
            count,
            len,
        }
    }

    fn header(&self) -> [u8; HEADER_LEN] {
        let [m0, m1] = MAGIC;
        let [f0, f1, f2, f3] = self.frame.fingerprint.to_le_bytes();
        [m0, m1, VERSION, self.frame.kind, f0, f1, f2, f3]
    }

    /// Writes the snapshot: `record(i, fields)` writes record `i` (zeros
    /// where it writes nothing), `emit(offset, bytes)` receives each piece
    /// at its offset. Returns the length.
    pub(crate) fn save(
        &self,
        now: Instant,
        mut record: impl FnMut(usize, &mut Fields<'_>),
        mut emit: impl FnMut(usize, &[u8]),
    ) -> usize {
        let header = self.header();
        let mut crc = Crc32::START;
        crc.update(&header);
        emit(0, &header);
        let mut buffer = [0u8; MAX_RECORD_LEN];
        let mut offset = HEADER_LEN;
        for index in 0..self.count {
            buffer.fill(0);
            let bytes = buffer.get_mut(..self.len).unwrap_or(&mut []);
            record(index, &mut Fields::new(bytes, now.ticks()));
            crc.update(bytes);
            emit(offset, bytes);
            offset = offset.saturating_add(self.len);
        }
        emit(offset, &crc.finish().to_le_bytes());
        self.frame.len
    }

    /// Checks and reads a snapshot of `total` bytes that `fetch(offset,
    /// buffer)` copies out piece by piece: the header and the checksum over
    /// every record first (in the order [`Frame::restore`] checks them),
    /// then `apply(i, fields)` for each record, which must read it whole
    /// (`None`: corrupt; bytes it leaves unread must be 0).
    pub(crate) fn restore(
        &self,
        now: Instant,
        total: usize,
        mut fetch: impl FnMut(usize, &mut [u8]),
        mut apply: impl FnMut(usize, &mut Fields<'_>) -> Option<()>,
    ) -> Result<(), SnapshotError> {
        if total < HEADER_LEN {
            return Err(SnapshotError::Truncated);
        }
        let mut header = [0u8; HEADER_LEN];
        fetch(0, &mut header);
        let expected = self.header();
        if header.get(..2) != expected.get(..2) {
            return Err(SnapshotError::Corrupt);
        }
        if header.get(2) != Some(&VERSION) {
            return Err(SnapshotError::Version);
        }
        if header.get(3) != Some(&self.frame.kind) {
            return Err(SnapshotError::Kind);
        }
        if total != self.frame.len {
            return Err(SnapshotError::Truncated);
        }
        let mut buffer = [0u8; MAX_RECORD_LEN];
        let mut crc = Crc32::START;
        crc.update(&header);
        let mut offset = HEADER_LEN;
        for _ in 0..self.count {
            let bytes = buffer.get_mut(..self.len).unwrap_or(&mut []);
            fetch(offset, bytes);
            crc.update(bytes);
            offset = offset.saturating_add(self.len);
        }
        let mut sum = [0u8; CHECKSUM_LEN];
        fetch(offset, &mut sum);
        if sum != crc.finish().to_le_bytes() {
            return Err(SnapshotError::Corrupt);
        }
        if header != expected {
            return Err(SnapshotError::Config);
        }
        let mut offset = HEADER_LEN;
        for index in 0..self.count {
            let bytes = buffer.get_mut(..self.len).unwrap_or(&mut []);
            fetch(offset, bytes);
            offset = offset.saturating_add(self.len);
            let mut fields = Fields::reading(bytes, now.ticks());
            apply(index, &mut fields).ok_or(SnapshotError::Corrupt)?;
            let rest = bytes.get(fields.at..).unwrap_or(&[]);
            if fields.overrun || rest.iter().any(|&b| b != 0) {
                return Err(SnapshotError::Corrupt);
            }
        }
        Ok(())
    }
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
    data: Data<'a>,
    at: usize,
    now: Tick,
    overrun: bool,
}

/// The bytes under [`Fields`]: written (and readable) or only read.
#[derive(Debug)]
enum Data<'a> {
    Write(&'a mut [u8]),
    Read(&'a [u8]),
}

impl<'a> Fields<'a> {
    /// Fields over `data`, written (or read), with times relative to `now`.
    pub fn new(data: &'a mut [u8], now: Tick) -> Self {
        Self {
            data: Data::Write(data),
            at: 0,
            now,
            overrun: false,
        }
    }

    /// Fields over `data`, only read, with times made absolute at `now`.
    ///
    /// ```
    /// use tickguard::snapshot::Fields;
    /// let saved = 5u64.to_le_bytes();
    /// assert_eq!(Fields::reading(&saved, 100).read_tick(), 105);
    /// ```
    #[must_use]
    pub fn reading(data: &'a [u8], now: Tick) -> Self {
        Self {
            data: Data::Read(data),
            at: 0,
            now,
            overrun: false,
        }
    }

    /// The tick the fields' times are relative to (the snapshot's `now`).
    ///
    /// ```
    /// use tickguard::snapshot::Fields;
    /// assert_eq!(Fields::reading(&[], 42).now(), 42);
    /// ```
    #[must_use]
    pub const fn now(&self) -> Tick {
        self.now
    }

    /// The bytes written so far and after (the whole buffer).
    fn written(&self) -> &[u8] {
        match &self.data {
            Data::Write(data) => data,
            Data::Read(data) => data,
        }
    }

    /// The range of the next `n` bytes, noting an overrun past the end.
    fn advance(&mut self, n: usize) -> Option<core::ops::Range<usize>> {
        let (start, end) = (self.at, self.at.saturating_add(n));
        self.at = end;
        if end > self.written().len() {
            self.overrun = true;
            return None;
        }
        Some(start..end)
    }

    /// Writes `bytes` as the next field (nothing past the end, or into
    /// read-only fields).
    pub fn bytes<const N: usize>(&mut self, bytes: [u8; N]) {
        if let Some(range) = self.advance(N) {
            if let Data::Write(data) = &mut self.data {
                // A checked conversion, not `copy_from_slice`: no panic path
                // is linked even where the length is not proven.
                if let Some(slot) = data
                    .get_mut(range)
                    .and_then(|slot| <&mut [u8; N]>::try_from(slot).ok())
                {
                    *slot = bytes;
                }
            }
        }
    }

    /// Reads the next `N` bytes (zeros past the end).
    pub fn read_bytes<const N: usize>(&mut self) -> [u8; N] {
        self.advance(N)
            .and_then(|range| self.written().get(range))
            .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
            .unwrap_or([0u8; N])
    }

    /// Writes a byte.
    pub fn u8(&mut self, value: u8) {
        self.bytes([value]);
    }

    /// Writes a 16-bit integer.
    pub fn u16(&mut self, value: u16) {
        self.bytes(value.to_le_bytes());
    }

    /// Writes a 32-bit integer.
    pub fn u32(&mut self, value: u32) {
        self.bytes(value.to_le_bytes());
    }

    /// Writes a 64-bit integer.
    pub fn u64(&mut self, value: u64) {
        self.bytes(value.to_le_bytes());
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
        self.bytes(offset.to_le_bytes());
    }

    /// Reads a byte (0 past the end).
    pub fn read_u8(&mut self) -> u8 {
        let [byte] = self.read_bytes();
        byte
    }

    /// Reads a 16-bit integer (0 past the end).
    pub fn read_u16(&mut self) -> u16 {
        u16::from_le_bytes(self.read_bytes())
    }

    /// Reads a 32-bit integer (0 past the end).
    pub fn read_u32(&mut self) -> u32 {
        u32::from_le_bytes(self.read_bytes())
    }

    /// Reads a 64-bit integer (0 past the end).
    pub fn read_u64(&mut self) -> u64 {
        u64::from_le_bytes(self.read_bytes())
    }

    /// Reads a tick written by [`tick`](Self::tick), made absolute at this
    /// snapshot's tick (clamped to `0..=u64::MAX`).
    pub fn read_tick(&mut self) -> Tick {
        self.read_tick_in_range().unwrap_or(0)
    }

    /// Reads a tick as [`read_tick`](Self::read_tick) does, with its
    /// distance from the snapshot's tick as written (which a restore at an
    /// earlier tick does not clamp: two ticks' distances compare as they
    /// did when the snapshot was taken).
    ///
    /// ```
    /// use tickguard::snapshot::Fields;
    /// let back = (-5i64).to_le_bytes();
    /// assert_eq!(Fields::reading(&back, 3).read_tick_and_offset(), (0, -5));
    /// ```
    pub fn read_tick_and_offset(&mut self) -> (Tick, i64) {
        let offset = self.read_u64() as i64;
        (self.absolute(offset).unwrap_or(0), offset)
    }

    /// Reads a tick written by [`tick`](Self::tick), made absolute at this
    /// snapshot's tick (saturating at `u64::MAX`); `None` if it falls
    /// before tick 0.
    ///
    /// ```
    /// use tickguard::snapshot::Fields;
    /// let back = (-5i64).to_le_bytes();
    /// assert_eq!(Fields::reading(&back, 3).read_tick_in_range(), None);
    /// assert_eq!(Fields::reading(&back, 9).read_tick_in_range(), Some(4));
    /// ```
    pub fn read_tick_in_range(&mut self) -> Option<Tick> {
        let offset = self.read_u64() as i64;
        self.absolute(offset)
    }

    /// The tick `offset` ticks from this snapshot's (saturating at
    /// `u64::MAX`); `None` before tick 0.
    fn absolute(&self, offset: i64) -> Option<Tick> {
        if offset == i64::MAX {
            return Some(u64::MAX);
        }
        let tick = i128::from(self.now).wrapping_add(i128::from(offset));
        (tick >= 0).then(|| u64::try_from(tick).unwrap_or(u64::MAX))
    }

    /// Reads a 128-bit time written by [`time128`](Self::time128) with the
    /// same `per_tick`, made absolute (clamped to `0..=u128::MAX`; the
    /// largest distance is the end of time), with its offset.
    pub fn read_time128(&mut self, per_tick: u32) -> (u128, i128) {
        let offset = i128::from_le_bytes(self.read_bytes());
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

/// `primitive`'s snapshot at `now` as an array of exactly its length
/// (`N` is the type's [`Snapshot::SNAPSHOT_LEN`]): the inherent
/// `snapshot()` of each primitive.
pub(crate) fn to_array<S: Snapshot, const N: usize>(primitive: &S, now: Instant) -> [u8; N] {
    let mut out = [0; N];
    // `out` is exactly the snapshot's length: saving cannot fail.
    let _ = primitive.save(now, &mut out);
    out
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
                $crate::snapshot::save($machine, $cell.load(), now, out)
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

    /// Every configuration's settings fit the fingerprint's scratch space;
    /// every state stays small (the C ABI copies machine snapshots through
    /// a 64-byte buffer).
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
        fits(&crate::fixed_window::FixedWindowConfig::DEFAULT);
        fits(&crate::shaper::ShaperConfig::DEFAULT);
        fits(&crate::sliding_window::SlidingWindowConfig::DEFAULT);
        let kinds = [
            <BreakerConfig as Format>::KIND,
            <BucketConfig as Format>::KIND,
            <BudgetConfig as Format>::KIND,
            <Levels as Format>::KIND,
            <crate::fixed_window::FixedWindowConfig as Format>::KIND,
            <crate::shaper::ShaperConfig as Format>::KIND,
            <crate::sliding_window::SlidingWindowConfig as Format>::KIND,
            crate::fallback::SNAPSHOT_KIND,
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
        // Late offsets saturate rather than read as "before tick 0".
        Fields::new(&mut bytes, 0).tick(5);
        assert_eq!(
            Fields::new(&mut bytes, u64::MAX - 2).read_tick_in_range(),
            Some(u64::MAX)
        );
        Fields::new(&mut wide, 10).time128(5, 3);
        assert_eq!(Fields::new(&mut wide, 0).read_time128(3), (0, -25));
    }
}
