//! The do-nothing ceiling of a line filter, for `scripts/bench.py`: stdin to stdout line by
//! line (memchr for the line ends, slices written to a buffered writer), nothing scanned.

use std::io::{self, BufWriter, Read, Write};

fn main() -> io::Result<()> {
    let mut input = io::stdin().lock();
    let mut out = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    let mut buf = vec![0u8; 256 * 1024];
    let mut held = 0;
    let mut lines = 0u64;
    loop {
        let n = input.read(&mut buf[held..])?;
        let end = held + n;
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', &buf[start..end]) {
            out.write_all(&buf[start..=nl])?;
            start = nl + 1;
            lines += 1;
        }
        if n == 0 {
            out.write_all(&buf[start..end])?;
            break;
        }
        buf.copy_within(start..end, 0);
        held = end - start;
        if held == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
    out.flush()?;
    std::hint::black_box(lines);
    Ok(())
}
