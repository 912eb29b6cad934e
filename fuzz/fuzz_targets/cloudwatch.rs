//! See `tokenscrub_fuzz::cloudwatch`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenscrub_fuzz::cloudwatch::run(data));
