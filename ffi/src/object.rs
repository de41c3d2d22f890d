//! Caller-allocated objects: fixed-size storage holding a magic word and a
//! core primitive, checked on every call.

use core::cell::UnsafeCell;
use core::mem::{align_of, size_of};
use portable_atomic::{AtomicU32, Ordering};

use crate::status::{tg_status_t, TG_E_NULL, TG_E_UNINITIALIZED, TG_OK};

/// The layout of an initialised object inside its C storage.
#[repr(C)]
pub(crate) struct Object<T> {
    magic: AtomicU32,
    pub(crate) inner: T,
}

/// Storage `S` holds an `Object<T>` tagged with `MAGIC`. Every bit pattern
/// of `T` must be valid (plain integers only), so that a zeroed or garbage
/// object can be inspected without undefined behaviour.
pub(crate) trait Storage: Sized {
    type Inner;
    const MAGIC: u32;
    const FITS: () = assert!(
        size_of::<Object<Self::Inner>>() <= size_of::<Self>()
            && align_of::<Object<Self::Inner>>() <= align_of::<Self>()
    );
}

/// Zeroed storage words: what `tg_*_t::new()` holds.
pub(crate) const fn zeroed<const N: usize>() -> [UnsafeCell<u32>; N] {
    [const { UnsafeCell::new(0) }; N]
}

/// Makes the C storage type `$storage` (a `#[repr(C)]` struct with one
/// `_opaque: [UnsafeCell<u32>; N]` field, declared where cbindgen sees it)
/// hold an `Object<$inner>` tagged with `$magic`: a zeroed `new()`,
/// `Default`, `Sync`, and its `Storage` impl.
macro_rules! storage {
    ($storage:ident, $inner:ty, $magic:expr) => {
        impl $storage {
            /// Zeroed (uninitialised) storage, for Rust callers of the ABI.
            pub const fn new() -> Self {
                Self {
                    _opaque: $crate::object::zeroed(),
                }
            }
        }

        impl Default for $storage {
            fn default() -> Self {
                Self::new()
            }
        }

        // SAFETY: the storage is only accessed through the ABI's functions,
        // which touch it only through atomics after initialisation.
        unsafe impl Sync for $storage {}

        impl $crate::object::Storage for $storage {
            type Inner = $inner;
            const MAGIC: u32 = $magic;
        }
    };
}
pub(crate) use storage;

/// The initialised object behind `storage`, or why there is none.
pub(crate) fn get<'a, S: Storage>(storage: *const S) -> Result<&'a S::Inner, tg_status_t> {
    #[allow(clippy::let_unit_value)]
    let _ = S::FITS;
    if storage.is_null() {
        return Err(TG_E_NULL);
    }
    // SAFETY: non-null, and the caller promises it points to a live `S`,
    // which is at least as large and aligned as `Object<S::Inner>` (FITS).
    // Every field of the object is a plain integer or atomic, valid for any
    // bit pattern, so reading an uninitialised-by-us object is sound; the
    // magic word tells whether `tg_*_init` ran.
    let object = unsafe { &*storage.cast::<Object<S::Inner>>() };
    if object.magic.load(Ordering::Acquire) != S::MAGIC {
        return Err(TG_E_UNINITIALIZED);
    }
    Ok(&object.inner)
}

/// Initialises the object behind `storage` with `inner`, the primitive built
/// from a validated configuration (or the status that rejected it, in which
/// case the object is left as it was).
pub(crate) fn init<S: Storage>(
    storage: *mut S,
    inner: Result<S::Inner, tg_status_t>,
) -> tg_status_t {
    #[allow(clippy::let_unit_value)]
    let _ = S::FITS;
    if storage.is_null() {
        return TG_E_NULL;
    }
    let inner = match inner {
        Ok(inner) => inner,
        Err(status) => return status,
    };
    let object = Object {
        magic: AtomicU32::new(S::MAGIC),
        inner,
    };
    // SAFETY: non-null, points to a live `S` the caller owns exclusively
    // during init, large and aligned enough for `Object` (FITS).
    unsafe { storage.cast::<Object<S::Inner>>().write(object) };
    TG_OK
}

/// Writes `value` through `out` if it is not NULL.
pub(crate) fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-null; the caller promises it points to writable `T`.
        unsafe { out.write(value) };
    }
}

/// Reads a required input through `input`.
pub(crate) fn read<T: Copy>(input: *const T) -> Result<T, tg_status_t> {
    if input.is_null() {
        return Err(TG_E_NULL);
    }
    // SAFETY: non-null; the caller promises it points to a readable `T`
    // (a struct of plain integers, valid for any bit pattern).
    Ok(unsafe { input.read() })
}

/// Fails with `TG_E_NULL` if a required output pointer is NULL.
pub(crate) fn required<T>(out: *mut T) -> Result<*mut T, tg_status_t> {
    if out.is_null() {
        Err(TG_E_NULL)
    } else {
        Ok(out)
    }
}

/// Collapses a `Result<status, status>` into a status.
pub(crate) fn status(result: Result<tg_status_t, tg_status_t>) -> tg_status_t {
    match result {
        Ok(status) | Err(status) => status,
    }
}
