//! Caller-allocated objects: fixed-size storage holding a header and a core
//! primitive, checked on every call.
//!
//! The header holds a magic word (the object was initialised), flags, and
//! the address the object was initialised at. Every entry point checks, in
//! order: NULL (`TG_E_NULL`), alignment (`TG_E_MISALIGNED`, before any
//! access), the magic word (`TG_E_UNINITIALIZED`) and the address
//! (`TG_E_MOVED`: a `memcpy` of a live object, or one moved by `realloc`,
//! is refused rather than silently becoming a second guard). An object
//! initialised with `TG_INIT_SHARED` skips the address check, so that it can
//! live in memory that several processes map at different addresses.
//!
//! The header's fields are read through raw pointers, never through a
//! reference to the whole object; a reference to the primitive inside is
//! formed only once the header says the object is live. Even then the body
//! may be stale (memory reused under a live header), so every primitive kept
//! here is valid for every bit pattern and bounds every count it reads.

use core::cell::UnsafeCell;
use core::mem::{align_of, size_of, MaybeUninit};
use core::ptr::{addr_of, addr_of_mut};
use portable_atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::status::{
    tg_status_t, TG_E_ALREADY_INITIALIZED, TG_E_INVALID_ARGUMENT, TG_E_MISALIGNED, TG_E_MOVED,
    TG_E_NULL, TG_E_UNINITIALIZED, TG_OK,
};

/// `tg_*_init_ex` flags: a combination of the `TG_INIT_*` values.
pub type tg_init_flags_t = u32;
/// Refuse to initialise a live object (`TG_E_ALREADY_INITIALIZED`): what
/// `tg_*_init` does.
pub const TG_INIT_DEFAULT: tg_init_flags_t = 0;
/// Initialise even if the object is live, discarding its state. The caller
/// guarantees nobody uses the object meanwhile.
pub const TG_INIT_REINIT: tg_init_flags_t = 1;
/// The object lives in memory shared between processes, mapped at different
/// addresses in each: do not tie it to its address (copies are then not
/// detected). The primitives' state is position-independent.
pub const TG_INIT_SHARED: tg_init_flags_t = 2;
const KNOWN_FLAGS: tg_init_flags_t = TG_INIT_REINIT | TG_INIT_SHARED;

/// The layout of an initialised object inside its C storage.
#[repr(C, align(16))]
pub(crate) struct Object<T> {
    magic: AtomicU32,
    flags: AtomicU32,
    home: AtomicUsize,
    pub(crate) inner: T,
}

/// Storage `S` holds an `Object<Self::Inner>` tagged with `MAGIC`.
///
/// Every bit pattern of `Inner` must be a valid value (plain integers,
/// floats, atomics, `MaybeUninit` and arrays of them: no `bool`, enum,
/// `NonZero*` or reference), and its methods must bound every count or
/// index they read from it, because the memory is the caller's: a stale
/// object (a live header over reused memory) can hold anything.
pub(crate) trait Storage: Sized {
    type Inner;
    const MAGIC: u32;
    const FITS: () = assert!(
        size_of::<Object<Self::Inner>>() <= size_of::<Self>()
            && align_of::<Object<Self::Inner>>() <= align_of::<Self>()
    );
}

/// Zeroed storage words: what `tg_*_t::new()` holds. The words are
/// `MaybeUninit` because an initialised object has padding (uninitialised
/// bytes) between its fields; a Rust caller may still move the storage
/// (which the ABI then reports as `TG_E_MOVED`) without undefined behaviour.
pub(crate) const fn zeroed<const N: usize>() -> [UnsafeCell<MaybeUninit<u64>>; N] {
    [const { UnsafeCell::new(MaybeUninit::new(0)) }; N]
}

/// Makes the C storage type `$storage` (a `#[repr(C, align(16))]` struct
/// with one `_opaque: [UnsafeCell<MaybeUninit<u64>>; N]` field, declared where cbindgen
/// sees it) hold an `Object<$inner>` tagged with `$magic`: a zeroed `new()`,
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

/// The header of an object: its three fields, each an atomic, valid
/// whatever the caller's memory holds.
struct Header<'a> {
    magic: &'a AtomicU32,
    flags: &'a AtomicU32,
    home: &'a AtomicUsize,
}

/// The object header behind `storage`, checked for NULL and alignment. Only
/// the header's fields are referenced: nothing is assumed of the rest until
/// the header says the object is live.
fn header<'a, S: Storage>(storage: *const S) -> Result<Header<'a>, tg_status_t> {
    #[allow(clippy::let_unit_value)]
    let _ = S::FITS;
    if storage.is_null() {
        return Err(TG_E_NULL);
    }
    let object = storage.cast::<Object<S::Inner>>();
    if !object.is_aligned() {
        return Err(TG_E_MISALIGNED);
    }
    // SAFETY: non-null and aligned; the caller promises it points to a live
    // `S`, which is at least as large as `Object<S::Inner>` (FITS), so the
    // projections stay inside it and form no reference to the object. Each
    // field is an atomic integer, valid for any bit pattern, so reading the
    // header of an object never initialised is sound.
    Ok(unsafe {
        Header {
            magic: &*addr_of!((*object).magic),
            flags: &*addr_of!((*object).flags),
            home: &*addr_of!((*object).home),
        }
    })
}

/// Whether the object with `header` was initialised at `address` (or is
/// shared).
fn is_live(header: &Header<'_>, magic: u32, address: usize) -> Result<(), tg_status_t> {
    if header.magic.load(Ordering::Acquire) != magic {
        return Err(TG_E_UNINITIALIZED);
    }
    let shared = header.flags.load(Ordering::Relaxed) & TG_INIT_SHARED != 0;
    if !shared && header.home.load(Ordering::Relaxed) != address {
        return Err(TG_E_MOVED);
    }
    Ok(())
}

/// The live object's inner value behind `storage`, as a raw pointer: the
/// header is checked (NULL, alignment, magic, address).
fn live_inner<S: Storage>(storage: *const S) -> Result<*mut S::Inner, tg_status_t> {
    let head = header(storage)?;
    is_live(&head, S::MAGIC, storage as usize)?;
    let object = storage.cast::<Object<S::Inner>>().cast_mut();
    // SAFETY: `object` is non-null, aligned and inside the caller's `S`
    // (checked by `header`); the projection forms no reference.
    Ok(unsafe { addr_of_mut!((*object).inner) })
}

/// The initialised object behind `storage`, or why there is none.
pub(crate) fn get<'a, S: Storage>(storage: *const S) -> Result<&'a S::Inner, tg_status_t> {
    let inner = live_inner(storage)?;
    // SAFETY: the header says this is a live object of this type, written by
    // `init`; `Inner` is valid for every bit pattern (the `Storage`
    // contract), so even a stale object's bytes form a valid value. Shared
    // access goes through atomics or is documented as single-owner.
    Ok(unsafe { &*inner })
}

/// The initialised object behind `storage`, mutably: for caller-owned state
/// that is never shared (a retry attempt).
///
/// The caller of the ABI function promises exclusive access to the object
/// for the duration of the call (documented on each such function).
pub(crate) fn get_mut<'a, S: Storage>(storage: *mut S) -> Result<&'a mut S::Inner, tg_status_t> {
    let inner = live_inner(storage.cast_const())?;
    // SAFETY: as in `get`; the caller promises nobody else uses the object
    // during the call, so a unique reference is sound.
    Ok(unsafe { &mut *inner })
}

/// Initialises the object behind `storage` with `inner`, the primitive built
/// from a validated configuration (or the status that rejected it, in which
/// case the object is left as it was).
pub(crate) fn init<S: Storage>(
    storage: *mut S,
    inner: Result<S::Inner, tg_status_t>,
    flags: tg_init_flags_t,
) -> tg_status_t {
    let head = match header(storage.cast_const()) {
        Ok(head) => head,
        Err(status) => return status,
    };
    if flags & !KNOWN_FLAGS != 0 {
        return TG_E_INVALID_ARGUMENT;
    }
    let address = storage as usize;
    if flags & TG_INIT_REINIT == 0 && is_live(&head, S::MAGIC, address).is_ok() {
        return TG_E_ALREADY_INITIALIZED;
    }
    let inner = match inner {
        Ok(inner) => inner,
        Err(status) => return status,
    };
    let shared = flags & TG_INIT_SHARED != 0;
    let fresh = Object {
        magic: AtomicU32::new(S::MAGIC),
        flags: AtomicU32::new(flags & TG_INIT_SHARED),
        home: AtomicUsize::new(if shared { 0 } else { address }),
        inner,
    };
    // SAFETY: non-null and aligned (checked above); points to a live `S`
    // the caller owns exclusively during init, large enough for `Object`.
    unsafe { storage.cast::<Object<S::Inner>>().write(fresh) };
    TG_OK
}

/// Ends the object's life: later calls report `TG_E_UNINITIALIZED` and it
/// can be initialised again without `TG_INIT_REINIT`.
pub(crate) fn deinit<S: Storage>(storage: *mut S) -> tg_status_t {
    match header(storage.cast_const()) {
        Ok(head) => match is_live(&head, S::MAGIC, storage as usize) {
            Ok(()) => {
                head.magic.store(0, Ordering::Release);
                TG_OK
            }
            Err(status) => status,
        },
        Err(status) => status,
    }
}

/// Writes `value` through `out` if it is not NULL.
pub(crate) fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-null; the caller promises it points to writable `T`.
        unsafe { out.write_unaligned(value) };
    }
}

/// Writes `value` through the required output `out`: `TG_OK`, or
/// `TG_E_NULL` if `out` is NULL (the `tg_*_default` functions).
pub(crate) fn put_required<T>(out: *mut T, value: T) -> tg_status_t {
    status(required(out).map(|out| {
        put(out, value);
        TG_OK
    }))
}

/// Reads a required input through `input`.
pub(crate) fn read<T: Copy>(input: *const T) -> Result<T, tg_status_t> {
    if input.is_null() {
        return Err(TG_E_NULL);
    }
    // SAFETY: non-null; the caller promises it points to a readable `T`
    // (a struct of plain integers, valid for any bit pattern).
    Ok(unsafe { input.read_unaligned() })
}

/// Fails with `TG_E_NULL` if a required output pointer is NULL.
pub(crate) fn required<T>(out: *mut T) -> Result<*mut T, tg_status_t> {
    if out.is_null() {
        Err(TG_E_NULL)
    } else {
        Ok(out)
    }
}

/// Collapses a computation's result into a status.
pub(crate) fn status(result: Result<tg_status_t, tg_status_t>) -> tg_status_t {
    match result {
        Ok(code) | Err(code) => code,
    }
}
