//! See `tokenscrub_fuzz::line`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenscrub_fuzz::line::run(data));
