//! Byte classes as tables.
//!
//! The engine classifies the bytes of values it has not seen before, and values in logs are
//! generated: letters, digits and symbols follow each other at random. A class tested by
//! ranges (`is_ascii_alphanumeric() || …`) is a branch per byte, mispredicted at every switch of
//! class; a table look-up is not. Every class read on a value's bytes is a table.

/// A `[T; 256]` table of `value` for each byte `c`, built at compile time (`initial` is any
/// value of `T`): `byte_map!(0u8, |c| if c.is_ascii_digit() { DIGIT } else { 0 })`.
macro_rules! byte_map {
    ($initial:expr, |$c:ident| $value:expr) => {{
        let mut table = [$initial; 256];
        let mut i = 0;
        while i < 256 {
            let $c = i as u8;
            table[i] = $value;
            i += 1;
        }
        table
    }};
}
pub(crate) use byte_map;

/// A `[bool; 256]` table of the bytes `c` for which `test` holds:
/// `byte_set!(|c| c.is_ascii_digit())`.
macro_rules! byte_set {
    (|$c:ident| $test:expr) => {
        $crate::byteclass::byte_map!(false, |$c| $test)
    };
}
pub(crate) use byte_set;

/// ASCII letters, digits and `_`: an identifier's bytes.
pub(crate) static IDENT: [bool; 256] = byte_set!(|c| c.is_ascii_alphanumeric() || c == b'_');

/// [`IDENT`] and `-`: base64url, a JWT segment's bytes.
pub(crate) static BASE64URL: [bool; 256] =
    byte_set!(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');

/// Is `b` in `set`?
#[inline]
pub(crate) fn is(set: &[bool; 256], b: u8) -> bool {
    set[usize::from(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_hold_their_bytes() {
        for b in 0..=255u8 {
            assert_eq!(is(&IDENT, b), b.is_ascii_alphanumeric() || b == b'_', "{b}");
            assert_eq!(is(&BASE64URL, b), is(&IDENT, b) || b == b'-', "{b}");
        }
    }
}
