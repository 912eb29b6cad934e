//! The AVX-512 VBMI candidate stage: exact byte tables over the first [`WINDOW`] bytes of each
//! keyword.
//!
//! `vpermb` looks a byte up in a 64-entry table, so each window position gets the buckets of
//! its byte value (both cases of a letter, and the byte that differs from it in bit 5 alone:
//! see [`index`]) instead of the nibble tables' cross product. 64 positions are tested per
//! step. On the benchmark logs this passes 60 % fewer candidates to the verifier than the
//! AVX2 stage.

use super::{Breadth, LOG_BYTE_PER_10K, LineEnds, assign_buckets};
use aho_corasick::Match;

/// How many leading bytes of each keyword the stage looks at.
const WINDOW: usize = 4;
/// Buckets: sets of eight. With the ~1,200 keywords of the catalog, four sets pass 64 % fewer
/// candidates than two (1.66 M to 0.60 M per 16 MiB of the benchmark logs); six run the
/// keyword search 1.17x faster than four on the benchmark logs (the verifier's time saved is
/// more than the lookups added), five 1.06-1.09x, seven 1.06-1.15x; with eight the lookups
/// cost more than they save.
const SETS: usize = 6;

/// For each window position and bucket set, the buckets each byte value allows, by
/// [`index`]: a 64-entry table is one `vpermb` (a 128-entry one, `vpermi2b`, cost twice as
/// much).
#[repr(C, align(64))]
pub(super) struct ByteTables([[[u8; 64]; SETS]; WINDOW]);

/// A byte's entry in a table: its bits 0 to 4 and 6. A byte shares its entry with the byte
/// that differs in bit 5 alone: a letter with its other case (which a keyword allows anyway),
/// a digit or most punctuation with a control byte, and `[{`, `\|`, `]}`, `^~`, `@``, `_`DEL:
/// a false candidate at worst. Bytes past 0x7f are looked up by their low seven bits.
fn index(b: u8) -> usize {
    usize::from(b & 0x1f | (b >> 1) & 0x20)
}

impl ByteTables {
    pub(super) fn new(keywords: &[String]) -> Box<ByteTables> {
        let buckets =
            assign_buckets::<ByteBreadth>(keywords, WINDOW, |b| b.to_ascii_lowercase(), 8 * SETS);
        let mut tables = Box::new(ByteTables([[[0; 64]; SETS]; WINDOW]));
        for (bucket, windows) in buckets.iter().enumerate() {
            let (set, bit) = (bucket / 8, 1u8 << (bucket % 8));
            for w in windows {
                for (k, table) in tables.0.iter_mut().enumerate() {
                    let t = &mut table[set];
                    match w.get(k) {
                        Some(&b) => t[index(b)] |= bit,
                        // A keyword shorter than the window: any byte may follow.
                        None => t.iter_mut().for_each(|x| *x |= bit),
                    }
                }
            }
        }
        tables
    }

    /// The first match `verify` confirms among the candidates from `from` on.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) unsafe fn find_vbmi<L: LineEnds>(
        &self,
        hay: &[u8],
        from: usize,
        verify: impl Fn(usize, u64) -> Option<Match>,
        lines: &mut L,
    ) -> Option<Match> {
        use std::arch::x86_64::*;
        const LANES: usize = 64;
        let zero = _mm512_setzero_si512();
        let bit5 = _mm512_set1_epi8(0x20);
        let newline = _mm512_set1_epi8(b'\n' as i8);
        // One bit per position of the 64 starting at `p`, set where a keyword may start; and
        // where a line ends, if `lines` wants to know.
        // The 64 bytes from `p + k`, of which `readable - k` are there: past the end of the
        // text a masked load reads zeros, and no memory (no copy into a padded block, whose
        // narrow stores the wide loads would then wait for).
        let load = |p: *const u8, k: usize, readable: usize| unsafe {
            let there = readable.saturating_sub(k);
            if there >= LANES {
                _mm512_loadu_si512(p.add(k) as *const _)
            } else {
                _mm512_maskz_loadu_epi8((1u64 << there) - 1, p.wrapping_add(k) as *const i8)
            }
        };
        // SAFETY: `search_blocks` says how many bytes are readable at `p`; only those are
        // loaded. The tables are 128-byte arrays, read in two 64-byte halves.
        let block = |p: *const u8, readable: usize| unsafe {
            let ends = if L::COUNTS {
                _mm512_cmpeq_epi8_mask(load(p, 0, readable), newline)
            } else {
                0
            };
            // The tables are read from memory at every step: held in registers, they were
            // copied to the stack on every call (the verifier's calls clobber all vector
            // registers), and there is a call per keyword hit.
            let tables = std::hint::black_box(&self.0);
            let mut alive = [_mm512_set1_epi8(-1); SETS];
            for (k, position) in tables.iter().enumerate() {
                let v = load(p, k, readable);
                // [`index`]: bit 6 moved to bit 5 (`vpermb` reads bits 0 to 5).
                let entry = _mm512_ternarylogic_epi32::<0xca>(bit5, _mm512_srli_epi16::<1>(v), v);
                for (alive, table) in alive.iter_mut().zip(position) {
                    let t = _mm512_load_si512(table.as_ptr() as *const _);
                    *alive = _mm512_and_si512(*alive, _mm512_permutexvar_epi8(entry, t));
                }
            }
            let any = alive.iter().fold(zero, |a, &b| _mm512_or_si512(a, b));
            (_mm512_test_epi8_mask(any, any), ends)
        };

        super::search_blocks::<LANES, L>(hay, from, WINDOW, block, verify, lines)
    }
}

/// How often one bucket lets a position of log text through: for each window position, how
/// common the bytes it allows are ([`LOG_BYTE_PER_10K`]), multiplied. Buckets are filled where
/// they widen least by this measure, so that the bytes of common words (`tion`, `core`,
/// `debu`) are kept apart rather than counted as any rare byte is.
#[derive(Clone, Copy, Default)]
struct ByteBreadth {
    /// For each window position, a bit per byte value below 0x80 it allows.
    seen: [u128; WINDOW],
    /// A window shorter than the position: any byte.
    any: [bool; WINDOW],
}

impl Breadth for ByteBreadth {
    fn add(&mut self, window: &[u8]) {
        for k in 0..WINDOW {
            match window.get(k) {
                // Both bytes of the table entry pass.
                Some(&b) => self.seen[k] |= 1 << (b & 0x7f) | 1 << (b & 0x7f ^ 0x20),
                None => self.any[k] = true,
            }
        }
    }

    fn value(&self) -> u64 {
        (0..WINDOW)
            .map(|k| {
                if self.any[k] {
                    return ANY;
                }
                let (mut seen, mut sum) = (self.seen[k], 0);
                while seen != 0 {
                    sum += log_frequency(seen.trailing_zeros() as usize);
                    seen &= seen - 1;
                }
                sum.min(ANY)
            })
            .product()
    }
}

/// A position any byte may take (a keyword shorter than the window).
const ANY: u64 = 10_000;

/// [`LOG_BYTE_PER_10K`] for every ASCII byte (1 for the unprintable ones).
fn log_frequency(b: usize) -> u64 {
    match b.checked_sub(0x20).and_then(|i| LOG_BYTE_PER_10K.get(i)) {
        Some(&f) => u64::from(f),
        None => 1,
    }
}
