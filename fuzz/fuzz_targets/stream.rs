//! See `tokenscrub_fuzz::stream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenscrub_fuzz::stream::run(data));
