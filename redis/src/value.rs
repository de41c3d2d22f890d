//! How a word is written under its key: `tg<release>:<kind>:<fingerprint>:<word>`,
//! the kind byte and configuration fingerprint of the machine's snapshots
//! in hexadecimal, then the word in hexadecimal. A value of another
//! release, kind or configuration, or anything else, is refused
//! ([`crate::Error::Foreign`]), never read as a word.

use crate::remote::RemoteMachine;
use tickguard::machine::Word;

/// The release whose word layouts the values hold: words are shared only
/// between processes built from the same tickguard release.
pub(crate) const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// A word that can be written as text: `u64` or `u128`.
///
/// ```
/// use tickguard_redis::StoredWord;
/// assert_eq!(255u64.to_hex(), "00000000000000ff");
/// assert_eq!(u64::from_hex(b"00000000000000ff"), Some(255));
/// assert_eq!(u64::from_hex(b"ff"), None);
/// ```
pub trait StoredWord: Word {
    /// Hexadecimal digits of the word type.
    const DIGITS: usize;
    /// The word in `DIGITS` lower-case hexadecimal digits.
    fn to_hex(self) -> String;
    /// The word from exactly `DIGITS` hexadecimal digits.
    fn from_hex(text: &[u8]) -> Option<Self>;
}

macro_rules! stored_word {
    ($word:ty, $digits:expr) => {
        impl StoredWord for $word {
            const DIGITS: usize = $digits;

            fn to_hex(self) -> String {
                format!("{:0width$x}", self, width = $digits)
            }

            fn from_hex(text: &[u8]) -> Option<Self> {
                if text.len() != $digits || !text.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                <$word>::from_str_radix(core::str::from_utf8(text).ok()?, 16).ok()
            }
        }
    };
}
stored_word!(u64, 16);
stored_word!(u128, 32);

/// The prefix every value of `machine`'s words starts with. The C ABI
/// writes the same (`tg_*_cell_prefix`, ffi/src/cell.rs) so C cells share
/// keys with Rust processes; the `redis` test stage reads a C program's
/// keys from Rust.
pub(crate) fn prefix<M: RemoteMachine>(machine: &M) -> String {
    format!("tg{RELEASE}:{:02x}:{:08x}:", M::KIND, machine.fingerprint())
}

/// The value holding `word`, after `prefix`.
pub(crate) fn encode<W: StoredWord>(prefix: &str, word: W) -> String {
    let mut value = String::with_capacity(prefix.len() + W::DIGITS);
    value.push_str(prefix);
    value.push_str(&word.to_hex());
    value
}

/// The word `value` holds if it is one of this prefix's.
pub(crate) fn decode<W: StoredWord>(prefix: &str, value: &[u8]) -> Option<W> {
    W::from_hex(value.strip_prefix(prefix.as_bytes())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickguard::breaker::{BreakerConfig, BreakerSettings};
    use tickguard::budget::BudgetConfig;

    #[test]
    fn words_round_trip_and_anything_else_is_refused() {
        let breaker = prefix(&BreakerConfig::DEFAULT);
        for word in [
            0u128,
            1,
            u128::MAX,
            0x0123_4567_89ab_cdef_0011_2233_4455_6677,
        ] {
            assert_eq!(
                decode::<u128>(&breaker, encode(&breaker, word).as_bytes()),
                Some(word)
            );
        }
        let value = encode(&breaker, 7u128);
        // Another configuration, another kind, another release, garbage.
        let other = BreakerConfig::new(BreakerSettings {
            failure_threshold: 9,
            ..BreakerConfig::DEFAULT_SETTINGS
        })
        .unwrap();
        assert_eq!(decode::<u128>(&prefix(&other), value.as_bytes()), None);
        assert_eq!(
            decode::<u64>(&prefix(&BudgetConfig::DEFAULT), value.as_bytes()),
            None
        );
        let older = value.replacen(RELEASE, "0.0.1", 1);
        assert_eq!(decode::<u128>(&breaker, older.as_bytes()), None);
        for garbage in [
            &b""[..],
            b"tg",
            b"\xff\xfe",
            value.as_bytes().split_at(value.len() - 1).0,
        ] {
            assert_eq!(decode::<u128>(&breaker, garbage), None);
        }
        let mut signed = value.clone().into_bytes();
        let last = signed.len() - 32;
        signed[last] = b'+';
        assert_eq!(decode::<u128>(&breaker, &signed), None);
        assert_eq!(
            decode::<u128>(&breaker, format!("{value}0").as_bytes()),
            None
        );
    }
}
