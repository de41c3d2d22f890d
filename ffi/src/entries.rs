//! Arrays of entries the caller allocates beside an object's header (a
//! keyed table's entries, a sliding log's), declared in C with the
//! header's `TG_*(name, n)` macro: the header records where they are and
//! how many, and every call checks the caller's pointer and count against
//! it before forming a slice.

use core::mem::{align_of, size_of};

use crate::object::{tg_init_flags_t, TG_INIT_SHARED};
use crate::status::{tg_status_t, TG_E_INVALID_ARGUMENT, TG_E_MISALIGNED, TG_E_NULL};

/// A C entry type and the core entry it holds.
///
/// # Safety
///
/// `Core` must be exactly as large as `Self`, aligned no more strictly,
/// and valid for every bit pattern (an atomic word, or one behind a
/// critical section) touched only through its atomic operations.
pub(crate) unsafe trait CEntry: Sized {
    type Core;
    /// A fresh entry.
    const EMPTY: Self::Core;
    /// `Core` fits `Self` (checked where an entry is first touched).
    const FITS: () = assert!(
        size_of::<Self::Core>() == size_of::<Self>()
            && align_of::<Self::Core>() <= align_of::<Self>()
    );
}

/// Where a header's entries are, as recorded at initialisation: plain
/// integers, valid for every bit pattern.
#[derive(Clone, Copy)]
pub(crate) struct Place {
    at: usize,
    len: usize,
    shared: u32,
}

/// Whether `len` entries of `C` may exist: 1 to `max_len`, and no more
/// bytes than a slice may span (`isize::MAX`, which bounds 32-bit
/// targets).
fn len_valid<C: CEntry>(len: usize, max_len: u64) -> bool {
    let bytes = len.checked_mul(size_of::<C::Core>());
    len != 0 && len as u64 <= max_len && bytes.is_some_and(|bytes| bytes <= isize::MAX as usize)
}

/// Checks a pointer to entries: non-null, aligned for the core entry.
fn checked<C: CEntry>(entries: *const C) -> Result<(), tg_status_t> {
    #[allow(clippy::let_unit_value)]
    let () = C::FITS;
    if entries.is_null() {
        return Err(TG_E_NULL);
    }
    if !entries.cast::<C::Core>().is_aligned() {
        return Err(TG_E_MISALIGNED);
    }
    Ok(())
}

/// Empties the `len` entries at `entries` (1 to `max_len`) and returns
/// where they are, for the header; `len_error` is the status for a count
/// out of range. The entries are written only once every argument is
/// checked: call it as the header's last check before `object::init`.
pub(crate) fn place<C: CEntry>(
    entries: *mut C,
    len: usize,
    max_len: u64,
    len_error: tg_status_t,
    flags: tg_init_flags_t,
) -> Result<Place, tg_status_t> {
    checked(entries.cast_const())?;
    if !len_valid::<C>(len, max_len) {
        return Err(len_error);
    }
    Ok(Place {
        at: entries as usize,
        len,
        shared: flags & TG_INIT_SHARED,
    })
}

/// Empties the entries `place` describes, at `entries`.
pub(crate) fn empty<C: CEntry>(entries: *mut C, place: &Place) {
    for i in 0..place.len {
        // SAFETY: `place` was made by `place()` from this pointer and count
        // (non-null, aligned), and the caller promises `len` writable
        // entries there; `i < len`. Writing a fresh entry replaces
        // whatever bytes were there (`Core` fits `C`).
        unsafe { entries.cast::<C::Core>().add(i).write(C::EMPTY) };
    }
}

/// The `len` entries at `entries`, once they are the ones `place`
/// recorded (the same count; the same address unless shared):
/// `TG_E_NULL`, `TG_E_MISALIGNED` or `TG_E_INVALID_ARGUMENT` otherwise.
/// `place` must belong to a live header (`object::get`), and its count is
/// bounded by `max_len` again (the header is caller memory).
pub(crate) fn slice<'a, C: CEntry>(
    place: &Place,
    entries: *const C,
    len: usize,
    max_len: u64,
) -> Result<&'a [C::Core], tg_status_t> {
    checked(entries)?;
    let same_place = place.shared != 0 || place.at == entries as usize;
    if !len_valid::<C>(len, max_len) || len != place.len || !same_place {
        return Err(TG_E_INVALID_ARGUMENT);
    }
    // SAFETY: `entries` is non-null and aligned for `Core`, and the
    // caller's `len` entries there are the ones initialisation recorded in
    // this live header (same address and count; for a shared object, the
    // same count in this process's mapping): `len` entries of `C`, each as
    // large as a `Core` (`C::FITS`). A `Core` is valid for every bit
    // pattern, so even garbage entries form valid values; they are only
    // ever touched through its atomic operations. `len_valid` keeps the
    // slice within `isize::MAX` bytes.
    Ok(unsafe { core::slice::from_raw_parts(entries.cast::<C::Core>(), len) })
}
