//! A small std-based C library, as a C program's other Rust dependency might
//! be: it uses the heap, hashing and formatting from `std`.

use std::collections::HashSet;
use std::ffi::{c_char, CStr};

/// The number of distinct whitespace-separated words in `text` (0 for NULL).
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn neighbour_distinct_words(text: *const c_char) -> usize {
    if text.is_null() {
        return 0;
    }
    // SAFETY: non-null and NUL-terminated, as the caller promises.
    let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    let words: HashSet<String> = text.split_whitespace().map(str::to_owned).collect();
    words.len()
}
