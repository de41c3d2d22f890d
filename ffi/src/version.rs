//! The library's version, for programs to check that header and library
//! agree.

/// Major version of the header (and of the library it was generated from).
pub const TG_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
pub const TG_VERSION_MINOR: u32 = 1;
/// Patch version of the header.
pub const TG_VERSION_PATCH: u32 = 0;
/// The header's version as one number, `MAJOR * 10000 + MINOR * 100 + PATCH`
/// (0.1.0 is 100), comparable with `tg_version()`.
pub const TG_VERSION: u32 = TG_VERSION_MAJOR * 10000 + TG_VERSION_MINOR * 100 + TG_VERSION_PATCH;

/// The version of the linked library, encoded as `TG_VERSION` is. A program
/// compiled against one header and linked against another library can tell:
/// `if (tg_version() != TG_VERSION) ...`.
///
/// @return `MAJOR * 10000 + MINOR * 100 + PATCH` of the library.
///
/// Pure: safe from interrupt handlers and from any thread.
#[no_mangle]
pub extern "C" fn tg_version() -> u32 {
    TG_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_version_is_the_crate_version() {
        let part = |s: &str| s.parse::<u32>().unwrap();
        assert_eq!(TG_VERSION_MAJOR, part(env!("CARGO_PKG_VERSION_MAJOR")));
        assert_eq!(TG_VERSION_MINOR, part(env!("CARGO_PKG_VERSION_MINOR")));
        assert_eq!(TG_VERSION_PATCH, part(env!("CARGO_PKG_VERSION_PATCH")));
        assert_eq!(tg_version(), TG_VERSION);
    }
}
