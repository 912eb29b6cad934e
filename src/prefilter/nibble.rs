//! The AVX2 candidate stage (and its scalar twin): Teddy-style nibble tables over the first
//! [`WINDOW`] (four) bytes of each keyword.
//!
//! Each keyword's window, folded with `byte | 0x20` (a superset of ASCII case-insensitivity,
//! exact for letters), is put in one of 32 buckets; for every position, lookups of the low and
//! high nibbles of the next bytes tell which buckets could start there. 32 positions are tested
//! with a few shuffles. Nibbles alias (a bucket holding `tok` and `ses` also lets `tes` and
//! `sek` through, and more): the verifier turns those away.

use super::{Breadth, LOG_BYTE_PER_10K, LineEnds, assign_buckets};
use aho_corasick::Match;

/// How many leading bytes of each keyword the stage looks at.
pub(super) const WINDOW: usize = 4;
/// Buckets: four sets of eight, one bit each. With the catalog's ~400 distinct keyword
/// beginnings, 16 buckets over three bytes let nearly every position of log text through
/// (the verifier then ran at every byte: 2.4x the clean-log time); 32 buckets over four bytes
/// cost one more shuffle pair a position and turn most of them away.
const SETS: usize = 4;
const BUCKETS: usize = 8 * SETS;

/// Nibble tables of one window position: for each nibble value, the buckets it allows.
#[derive(Clone, Copy, Default)]
struct NibbleMasks {
    lo: [[u8; 16]; SETS],
    hi: [[u8; 16]; SETS],
}

pub(super) struct NibbleTables([NibbleMasks; WINDOW]);

impl NibbleTables {
    /// Put each keyword's folded window in a bucket and build the nibble tables.
    pub(super) fn new(keywords: &[String]) -> NibbleTables {
        let buckets = assign_buckets::<NibbleBreadth>(keywords, WINDOW, |b| b | 0x20, BUCKETS);
        let mut masks = [NibbleMasks::default(); WINDOW];
        for (bucket, windows) in buckets.iter().enumerate() {
            let (set, bit) = (bucket / 8, 1u8 << (bucket % 8));
            for w in windows {
                for (k, m) in masks.iter_mut().enumerate() {
                    match w.get(k) {
                        Some(&b) => {
                            m.lo[set][(b & 0xf) as usize] |= bit;
                            m.hi[set][(b >> 4) as usize] |= bit;
                        }
                        // A keyword shorter than the window: any byte may follow.
                        None => {
                            for n in 0..16 {
                                m.lo[set][n] |= bit;
                                m.hi[set][n] |= bit;
                            }
                        }
                    }
                }
            }
        }
        NibbleTables(masks)
    }

    /// The stage for one position, without SIMD.
    pub(super) fn may_start_at(&self, hay: &[u8], i: usize) -> bool {
        (0..SETS).any(|s| {
            let mut m = 0xffu8;
            // Past the end every bucket survives: the verifier has the last word.
            for (k, masks) in self.0.iter().enumerate() {
                if let Some(&b) = hay.get(i + k) {
                    let b = b | 0x20;
                    m &= masks.lo[s][(b & 0xf) as usize] & masks.hi[s][(b >> 4) as usize];
                }
            }
            m != 0
        })
    }

    /// The first match `verify` confirms among the candidates from `from` on.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn find_avx2<L: LineEnds>(
        &self,
        hay: &[u8],
        from: usize,
        verify: impl Fn(usize, u64) -> Option<Match>,
        lines: &mut L,
    ) -> Option<Match> {
        use std::arch::x86_64::*;
        const LANES: usize = 32;
        let nibble = _mm256_set1_epi8(0x0f);
        let fold = _mm256_set1_epi8(0x20);
        let zero = _mm256_setzero_si256();
        let newline = _mm256_set1_epi8(b'\n' as i8);
        // SAFETY: reads 16 bytes from a 16-byte array.
        let table = |t: &[u8; 16]| unsafe {
            _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr() as *const __m128i))
        };
        let mut lo = [[zero; SETS]; WINDOW];
        let mut hi = [[zero; SETS]; WINDOW];
        for k in 0..WINDOW {
            for s in 0..SETS {
                lo[k][s] = table(&self.0[k].lo[s]);
                hi[k][s] = table(&self.0[k].hi[s]);
            }
        }
        // One bit per position of the 32 starting at `p`, set where a keyword may start.
        // SAFETY: LANES + WINDOW - 1 bytes are readable at `p` (`padded` sees to it).
        let full = |p: *const u8| unsafe {
            let ends = if L::COUNTS {
                let raw = _mm256_loadu_si256(p as *const __m256i);
                _mm256_movemask_epi8(_mm256_cmpeq_epi8(raw, newline)) as u32
            } else {
                0
            };
            let mut alive = [_mm256_set1_epi8(-1); SETS];
            for k in 0..WINDOW {
                let v = _mm256_or_si256(_mm256_loadu_si256(p.add(k) as *const __m256i), fold);
                let vlo = _mm256_and_si256(v, nibble);
                let vhi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
                for s in 0..SETS {
                    let m = _mm256_and_si256(
                        _mm256_shuffle_epi8(lo[k][s], vlo),
                        _mm256_shuffle_epi8(hi[k][s], vhi),
                    );
                    alive[s] = _mm256_and_si256(alive[s], m);
                }
            }
            let any = alive[1..]
                .iter()
                .fold(alive[0], |any, &a| _mm256_or_si256(any, a));
            (
                !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(any, zero)) as u32),
                ends,
            )
        };

        let span = LANES + WINDOW - 1;
        // SAFETY: `search_blocks` says how many bytes are readable at `p`.
        let block = |p: *const u8, readable: usize| {
            let (candidates, ends) = unsafe { super::padded(p, readable, span, full) };
            (u64::from(candidates), u64::from(ends))
        };
        super::search_blocks::<LANES, L>(hay, from, WINDOW, block, verify, lines)
    }
}

/// [`LOG_BYTE_PER_10K`] by the nibbles of the folded byte (`b | 0x20`), as the nibble tables
/// see text: `[high][low]`.
static FOLDED_WEIGHT: [[u16; 16]; 16] = {
    let mut t = [[0u16; 16]; 16];
    let mut b = 0x20;
    while b < 0x7f {
        let f = b | 0x20;
        t[f >> 4][f & 0xf] += LOG_BYTE_PER_10K[b - 0x20];
        b += 1;
    }
    t
};

/// How much log text one bucket lets through: for each window position, the frequency of the
/// (folded) bytes its nibble tables pass; their product.
#[derive(Clone, Copy, Default)]
struct NibbleBreadth {
    /// For each window position, a bit per low nibble and per high nibble it allows.
    lo: [u16; WINDOW],
    hi: [u16; WINDOW],
    /// A window shorter than the position: any byte.
    open: [bool; WINDOW],
}

impl Breadth for NibbleBreadth {
    fn add(&mut self, window: &[u8]) {
        for k in 0..WINDOW {
            match window.get(k) {
                Some(&b) => {
                    self.lo[k] |= 1 << (b & 0xf);
                    self.hi[k] |= 1 << (b >> 4);
                }
                None => self.open[k] = true,
            }
        }
    }

    fn value(&self) -> u64 {
        (0..WINDOW)
            .map(|k| {
                if self.open[k] {
                    return 10_000;
                }
                // Only the nibbles set (a handful).
                let mut passed = 0u64;
                let mut his = self.hi[k];
                while his != 0 {
                    let row = &FOLDED_WEIGHT[his.trailing_zeros() as usize];
                    his &= his - 1;
                    let mut los = self.lo[k];
                    while los != 0 {
                        passed += u64::from(row[los.trailing_zeros() as usize]);
                        los &= los - 1;
                    }
                }
                passed
            })
            .product()
    }
}
