//! See `tokenscrub_fuzz::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenscrub_fuzz::config::run(data));
