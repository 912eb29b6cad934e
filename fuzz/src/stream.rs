//! The streaming redactor on one text, after a two-byte header:
//!
//! * byte 0, bits 0-1: `max_line` of 64, 256, 4096 bytes or the default (1 MiB). The stream
//!   raises any value below `4 * HOLD` (64 KiB) to that, so the first three all mean 64 KiB;
//! * byte 0, bits 2-3: 1 to 4 threads for `redact_stream_parallel`;
//! * byte 0, bits 4-5: the mask style (label, hash, partial, stars);
//! * byte 0, bits 6-7: a second reader gives the text in 1, 3, 7 or 16 pieces;
//! * byte 1: when its low four bits are all set (one input in 16), the text is repeated to
//!   64 KiB + (high four bits) × 2 KiB, and `max_line` is 64 KiB: a text without line ends
//!   becomes a line the stream scans in windows.
//!
//! See `tokenscrub_fuzz::check_stream` for the invariants.
use crate::{STYLES, check_stream};
use tokenscrub::StreamOptions;
use tokenscrub::stream::DEFAULT_MAX_LINE;

/// One fuzz input.
pub fn run(data: &[u8]) {
    let [h, l, text @ ..] = data else {
        return;
    };
    let mut max_line = [64, 256, 4096, DEFAULT_MAX_LINE][usize::from(h & 3)];
    let threads = 1 + usize::from((h >> 2) & 3);
    let style = STYLES[usize::from((h >> 4) & 3)];
    let pieces = [1, 3, 7, 16][usize::from(h >> 6)];
    let long;
    let text = if l & 0x0f == 0x0f && !text.is_empty() {
        let want = (64 << 10) + usize::from(l >> 4) * (2 << 10);
        long = text.repeat(want.div_ceil(text.len()));
        max_line = 64;
        &long[..]
    } else {
        text
    };
    let opts = StreamOptions {
        max_line,
        ..StreamOptions::default()
    };
    check_stream(text, style, opts, pieces, threads);
}
