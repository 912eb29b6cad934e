//! One stream redacted on several threads, written in its original order.
//!
//! The calling thread cuts the input into chunks of whole lines ([`CHUNK`] bytes or so) and
//! hands them to `threads - 1` workers, at most three queued per worker and [`MAX_IN_FLIGHT`] in
//! all; when the workers have enough, it redacts the chunk itself, so that no core idles while
//! the reading thread waits. Finished chunks are written in their order. Memory stays bounded
//! by the chunks read and not yet written, however the threads are scheduled: a chunk finished
//! early waits for the ones before it, and at [`MAX_UNWRITTEN`] the reader waits too. Chunks
//! are redacted in place, and chunk and output buffers go back and forth between the threads
//! to be reused: the text is copied once, by the read into the chunk.
//!
//! Lines are counted by the workers: a chunk's findings are numbered from the chunk's first
//! line, and the calling thread adds the lines before the chunk ([`ShiftLines`]) as it writes
//! them, so that reading stays a copy and a cut.
//!
//! A chunk is scanned by a scanner started over (each thread keeps one, for its regex caches),
//! first primed with the last lines before it ([`LEAD`] bytes, scanned but not written): a key
//! whose value is on the next line, a private-key block, a DynamoDB expression binding that
//! straddle the cut are found as in one pass. What is not carried over is the memory of
//! secrets seen much earlier (a value found in one chunk is not looked for, without its
//! context, in a later one).
//!
//! A line longer than a chunk (and than `max_line`) ends the parallel part: the rest of the
//! stream goes through one [`redact_stream`], which scans such lines in windows.

use crate::engine::Engine;
use crate::mask::Masker;
use crate::redact::Redactor;
use crate::stream::{
    StreamError, StreamFinding, StreamOptions, StreamSummary, read_more, redact_lines,
    redact_stream, split_terminator,
};
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Bytes of input per chunk: big enough that the hand-over costs nothing, small enough that a
/// few in flight stay within a few MiB.
pub const CHUNK: usize = 1 << 19;
/// Bytes of whole lines before a chunk that prime its scanner.
pub const LEAD: usize = 16 * 1024;

struct Job {
    seq: u64,
    lead: Vec<u8>,
    data: Vec<u8>,
    /// A buffer for the output, to be reused.
    out: Vec<u8>,
    /// A line of the chunk is `max_line` long or more: the chunk goes through the stream,
    /// which scans such lines in windows, so that the result does not depend on the thread
    /// count.
    windowed: bool,
}

struct Done<T> {
    seq: u64,
    out: Vec<u8>,
    /// The chunk's buffer, back for reuse.
    data: Vec<u8>,
    items: Vec<T>,
    summary: StreamSummary,
}

/// At most this many chunks are queued to or redacted by the workers, however many threads.
pub const MAX_IN_FLIGHT: usize = 8;
/// At most this many chunks are read and not yet written (queued, being redacted, or done and
/// waiting for an earlier one), however many threads: with a worker descheduled (more threads
/// than cores), the others would otherwise finish chunks after it without end. Ten chunks hold
/// about 11 MiB of input and output buffers.
pub const MAX_UNWRITTEN: usize = 10;

/// An item made from a finding on a worker, with a line number counted from the start of its
/// chunk: the calling thread adds the lines before the chunk.
pub trait ShiftLines {
    fn shift_lines(&mut self, lines: u64);
}

/// Redact `input` to `output` on `threads` threads. Each finding becomes an item (`make`, on the
/// worker), handed to `on_item` in stream order on the calling thread, its line number made
/// right by [`ShiftLines`].
#[allow(clippy::too_many_arguments)]
pub fn redact_stream_parallel<R: Read, W: Write, T: Send + ShiftLines>(
    engine: &Engine,
    masker: &Masker,
    input: R,
    output: &mut W,
    opts: StreamOptions,
    threads: usize,
    make: &(dyn Fn(&StreamFinding<'_>) -> T + Sync),
    on_item: &mut dyn FnMut(T),
) -> Result<StreamSummary, StreamError> {
    let threads = threads.clamp(1, MAX_IN_FLIGHT);
    run(
        engine, masker, input, output, opts, threads, CHUNK, make, on_item,
    )
    .map(|(summary, _)| summary)
}

#[allow(clippy::too_many_arguments)]
fn run<R: Read, W: Write, T: Send + ShiftLines>(
    engine: &Engine,
    masker: &Masker,
    mut input: R,
    output: &mut W,
    opts: StreamOptions,
    threads: usize,
    chunk: usize,
    make: &(dyn Fn(&StreamFinding<'_>) -> T + Sync),
    on_item: &mut dyn FnMut(T),
) -> Result<(StreamSummary, usize), StreamError> {
    // Returns the summary and the most chunks that were ever read and not yet written.
    //
    // The calling thread reads, writes and, when the workers have enough queued, redacts a
    // chunk itself: `threads` threads in all, none of them idle while another waits for I/O.
    let workers = threads - 1;
    // A worker's queue must outlast a chunk the calling thread reads and redacts itself: with
    // two per worker it often ran dry meanwhile (2 threads, 1 % file: 4-10 ms idle per run,
    // 1.70× → 1.76× with three).
    let max_in_flight = (3 * workers).min(MAX_IN_FLIGHT);
    // Also the calling thread's own chunks, finished before their turn: with room for one
    // only, the calling thread often waited for a worker's chunk instead of redacting the
    // next (2 threads, 1 % file: 1.69× → 1.72× with room for three, for 2.3 MiB more).
    let max_unwritten = (max_in_flight + 4).min(MAX_UNWRITTEN);
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Done<T>>();
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut redactor = Redactor::new(engine, masker.clone());
                loop {
                    // The lock is held only while taking a job.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    if done_tx.send(work(&mut redactor, opts, make, job)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);

        let mut writer = InOrder {
            output,
            done_rx,
            in_flight: 0,
            waiting: BTreeMap::new(),
            next: 0,
            summary: StreamSummary::default(),
            lines_at_start: opts.first_line - 1,
            spare: Vec::new(),
        };
        let mut seq = 0u64;
        // The calling thread's scanner, for the chunks it redacts itself.
        let mut redactor = Redactor::new(engine, masker.clone());
        let mut peak_unwritten = 0;
        let mut lead: Vec<u8> = Vec::new();
        let read_size = chunk + chunk / 16;
        let mut buf: Vec<u8> = Vec::with_capacity(read_size);
        let mut eof = false;
        let long_line = opts.max_line.max(chunk);

        let result = 'chunks: loop {
            // Fill a chunk: at least CHUNK bytes, or the end of the input.
            while !eof && buf.len() < chunk {
                let want = read_size - buf.len();
                match fill(&mut input, &mut buf, want) {
                    Ok(0) => eof = true,
                    Ok(n) => writer.summary.bytes_in += n as u64,
                    Err(e) => break 'chunks Err(StreamError::Read(e)),
                }
            }
            let cut = if eof {
                buf.len()
            } else {
                match memchr::memrchr(b'\n', &buf) {
                    Some(nl) => nl + 1,
                    // No line end yet: read on, up to a line too long for one chunk.
                    None if buf.len() < long_line => {
                        match read_more(&mut input, &mut buf, chunk) {
                            Ok(0) => eof = true,
                            Ok(n) => writer.summary.bytes_in += n as u64,
                            Err(e) => break Err(StreamError::Read(e)),
                        }
                        continue;
                    }
                    None => {
                        break sequential_rest(
                            &mut redactor,
                            opts,
                            make,
                            on_item,
                            &mut writer,
                            lead,
                            buf,
                            input,
                        );
                    }
                }
            };
            if cut > 0 {
                // The chunk keeps the buffer; what follows the cut moves to a spare one.
                let mut rest = writer.spare.pop().unwrap_or_default();
                rest.clear();
                rest.reserve(read_size);
                rest.extend_from_slice(&buf[cut..]);
                let mut data = std::mem::replace(&mut buf, rest);
                data.truncate(cut);
                let next_lead = tail_lines(&data, LEAD).to_vec();
                let windowed = has_line_of(&data, opts.max_line);
                let job = Job {
                    seq,
                    lead: std::mem::replace(&mut lead, next_lead),
                    data,
                    out: writer.spare.pop().unwrap_or_default(),
                    windowed,
                };
                seq += 1;
                if let Err(e) = writer.take_ready(on_item) {
                    break 'chunks Err(e);
                }
                // The oldest chunk not written is with a worker (the calling thread writes
                // its own at once, when their turn has come): wait for it.
                while job.seq - writer.next >= max_unwritten as u64 {
                    if let Err(e) = writer.take_one(on_item) {
                        break 'chunks Err(e);
                    }
                }
                peak_unwritten = peak_unwritten.max((job.seq - writer.next) as usize + 1);
                if writer.in_flight < max_in_flight {
                    if job_tx.send(job).is_err() {
                        break Err(StreamError::Read(io::Error::other(
                            "worker threads stopped",
                        )));
                    }
                    writer.in_flight += 1;
                } else if let Err(e) = writer.put(work(&mut redactor, opts, make, job), on_item) {
                    break 'chunks Err(e);
                }
            }
            if eof && buf.is_empty() {
                break Ok(());
            }
        };
        drop(job_tx);
        if let Err(StreamError::Write(e)) = result {
            return Err(StreamError::Write(e));
        }
        // Everything handed out is written, even when reading failed.
        writer.take_all(on_item)?;
        writer.output.flush().map_err(StreamError::Write)?;
        result.map(|()| (writer.summary, peak_unwritten))
    })
}

/// Read until `buf` holds `want` more bytes or the input ends; returns how many were read.
/// (Unlike [`read_more`], the buffer's spare room is not zeroed first: the chunk reader reads
/// every byte of the stream.)
fn fill<R: Read>(input: &mut R, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    input.take(want as u64).read_to_end(buf)
}

/// Does `data` hold a line of `len` bytes or more? (Looks back from `len` bytes ahead for the
/// last line end, so it jumps over short lines instead of visiting each.)
fn has_line_of(data: &[u8], len: usize) -> bool {
    let mut start = 0;
    while data.len() - start >= len {
        match memchr::memrchr(b'\n', &data[start..start + len]) {
            Some(nl) => start += nl + 1,
            None => return true,
        }
    }
    false
}

/// The last whole lines of `data` (which ends with a line end), at most `max` bytes.
fn tail_lines(data: &[u8], max: usize) -> &[u8] {
    let from = data.len().saturating_sub(max);
    if from == 0 {
        return data;
    }
    match memchr::memchr(b'\n', &data[from..]) {
        Some(nl) => &data[from + nl + 1..],
        None => &[],
    }
}

/// Start `r` over, then let it see `lead`, the lines before a chunk (runs of lines without a
/// keyword are skipped, as the stream does).
fn prime(r: &mut Redactor<'_>, lead: &[u8]) {
    r.start_over();
    let mut scratch = Vec::new();
    let mut start = 0;
    while start < lead.len() {
        let quiet = r.quiet_prefix(&lead[start..]);
        start += quiet.len;
        if start == lead.len() {
            break;
        }
        let end = memchr::memchr(b'\n', &lead[start..]).map_or(lead.len(), |n| start + n + 1);
        r.scan_next_line(split_terminator(&lead[start..end]).0, quiet, &mut scratch);
        start = end;
    }
}

fn work<T>(
    r: &mut Redactor<'_>,
    opts: StreamOptions,
    make: &(dyn Fn(&StreamFinding<'_>) -> T + Sync),
    job: Job,
) -> Done<T> {
    prime(r, &job.lead);
    let mut out = job.out;
    out.clear();
    out.reserve(job.data.len() + 4096);
    let mut items = Vec::new();
    let mut on_finding = |f: &StreamFinding<'_>| items.push(make(f));
    // Lines are numbered from the chunk's start; see `ShiftLines`.
    let summary = if job.windowed {
        let opts = StreamOptions {
            first_line: 1,
            ..opts
        };
        redact_stream(r, &job.data[..], &mut out, opts, &mut on_finding)
            .expect("a Vec is written and a slice is read without error")
    } else {
        redact_lines(r, &job.data, &mut out, 1, &mut on_finding)
    };
    Done {
        seq: job.seq,
        out,
        data: job.data,
        items,
        summary,
    }
}

/// Writes finished chunks in their order.
struct InOrder<'w, W: Write, T> {
    output: &'w mut W,
    done_rx: mpsc::Receiver<Done<T>>,
    /// Chunks handed to the workers and not yet received back.
    in_flight: usize,
    waiting: BTreeMap<u64, Done<T>>,
    next: u64,
    summary: StreamSummary,
    /// The lines before the stream (its first line number - 1).
    lines_at_start: u64,
    /// Buffers written out, for the next chunks.
    spare: Vec<Vec<u8>>,
}

impl<W: Write, T: ShiftLines> InOrder<'_, W, T> {
    /// The lines before the next chunk to write.
    fn lines_before(&self) -> u64 {
        self.lines_at_start + self.summary.lines
    }

    /// Wait for one chunk from the workers, then write every chunk that is next in order.
    fn take_one(&mut self, on_item: &mut dyn FnMut(T)) -> Result<(), StreamError> {
        let done = self
            .done_rx
            .recv()
            .map_err(|_| StreamError::Read(io::Error::other("a worker thread stopped")))?;
        self.in_flight -= 1;
        self.put(done, on_item)
    }

    /// Take every chunk the workers have finished, without waiting.
    fn take_ready(&mut self, on_item: &mut dyn FnMut(T)) -> Result<(), StreamError> {
        while let Ok(done) = self.done_rx.try_recv() {
            self.in_flight -= 1;
            self.put(done, on_item)?;
        }
        Ok(())
    }

    /// Wait for and write every chunk still in flight.
    fn take_all(&mut self, on_item: &mut dyn FnMut(T)) -> Result<(), StreamError> {
        while self.in_flight > 0 {
            self.take_one(on_item)?;
        }
        Ok(())
    }

    /// A finished chunk: write it and every chunk after it in order, or keep it until its turn.
    fn put(&mut self, done: Done<T>, on_item: &mut dyn FnMut(T)) -> Result<(), StreamError> {
        self.waiting.insert(done.seq, done);
        while let Some(done) = self.waiting.remove(&self.next) {
            self.output
                .write_all(&done.out)
                .map_err(StreamError::Write)?;
            let lines_before = self.lines_before();
            for mut item in done.items {
                item.shift_lines(lines_before);
                on_item(item);
            }
            self.summary.lines += done.summary.lines;
            self.summary.findings += done.summary.findings;
            self.spare.extend([done.out, done.data]);
            self.next += 1;
        }
        Ok(())
    }
}

/// A line longer than a chunk: write what is in flight, then redact the rest in one pass.
#[allow(clippy::too_many_arguments)]
fn sequential_rest<R: Read, W: Write, T: ShiftLines>(
    r: &mut Redactor<'_>,
    opts: StreamOptions,
    make: &(dyn Fn(&StreamFinding<'_>) -> T + Sync),
    on_item: &mut dyn FnMut(T),
    writer: &mut InOrder<'_, W, T>,
    lead: Vec<u8>,
    buf: Vec<u8>,
    input: R,
) -> Result<(), StreamError> {
    writer.take_all(on_item)?;
    prime(r, &lead);
    let opts = StreamOptions {
        first_line: writer.lines_before() + 1,
        ..opts
    };
    // Bytes already counted as read are in `buf`; the rest are counted by the stream.
    let already = buf.len() as u64;
    let s = redact_stream(
        r,
        io::Cursor::new(buf).chain(input),
        writer.output,
        opts,
        &mut |f| on_item(make(f)),
    )?;
    writer.summary.lines += s.lines;
    writer.summary.findings += s.findings;
    writer.summary.bytes_in += s.bytes_in - already;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::{FingerprintKey, MaskStyle};

    /// `n` lines, each with a (fake) password to mask.
    fn password_lines(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("line {i} password=FAKEpw{i:06}x\n").into_bytes())
            .collect()
    }

    /// A finding's line number, as the items of the tests.
    struct Line(u64);

    impl ShiftLines for Line {
        fn shift_lines(&mut self, lines: u64) {
            self.0 += lines;
        }
    }

    fn sequential(e: &Engine, m: &Masker, text: &[u8], max_line: usize) -> (Vec<u8>, Vec<u64>) {
        let mut r = Redactor::new(e, m.clone());
        let mut out = Vec::new();
        let mut lines = Vec::new();
        let opts = StreamOptions {
            max_line,
            ..StreamOptions::default()
        };
        redact_stream(&mut r, text, &mut out, opts, &mut |f| {
            lines.push(f.line_number)
        })
        .unwrap();
        (out, lines)
    }

    fn parallel(
        e: &Engine,
        m: &Masker,
        text: &[u8],
        max_line: usize,
        chunk: usize,
        threads: usize,
    ) -> (Vec<u8>, Vec<u64>, StreamSummary) {
        let mut out = Vec::new();
        let mut lines = Vec::new();
        let opts = StreamOptions {
            max_line,
            ..StreamOptions::default()
        };
        let s = run(
            e,
            m,
            text,
            &mut out,
            opts,
            threads,
            chunk,
            &|f| Line(f.line_number),
            &mut |n| lines.push(n.0),
        )
        .unwrap()
        .0;
        (out, lines, s)
    }

    /// Small chunks cut the corpus logs everywhere (PEM blocks, values on the next line,
    /// DynamoDB bindings): with the primed scanners the result is the one-pass result.
    #[test]
    fn chunks_give_the_sequential_result_in_order() {
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");
        let mut text = Vec::new();
        for name in [
            "flask_accounts_debug.log",
            "express_orders_dev.log",
            "lambda_python_text.log",
        ] {
            text.extend(std::fs::read(format!("{dir}/{name}")).unwrap());
        }
        let (expect, expect_lines) = sequential(&e, &m, &text, crate::stream::DEFAULT_MAX_LINE);
        assert!(expect_lines.len() > 50);
        // One thread: the calling thread redacts every chunk; more: workers and the calling
        // thread share them.
        for (chunk, threads) in [(1500, 3), (4096, 2), (200_003, 3), (4096, 1)] {
            let (out, lines, s) = parallel(
                &e,
                &m,
                &text,
                crate::stream::DEFAULT_MAX_LINE,
                chunk,
                threads,
            );
            assert!(
                out == expect,
                "chunk {chunk}, {threads} threads: output differs"
            );
            assert_eq!(lines, expect_lines, "chunk {chunk}, {threads} threads");
            assert_eq!(s.bytes_in, text.len() as u64);
            assert_eq!(s.lines, memchr::memchr_iter(b'\n', &text).count() as u64);
            assert_eq!(s.findings, lines.len() as u64);
        }
    }

    /// A worker stalls on its first chunk while the others go on: the chunks finished after it
    /// wait for it, but no more of them than the bound (memory stays bounded whatever the
    /// scheduling), and the output is still the one-pass output.
    #[test]
    fn a_stalled_worker_holds_back_a_bounded_number_of_chunks() {
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let text = password_lines(20_000);
        let (expect, _) = sequential(&e, &m, &text, crate::stream::DEFAULT_MAX_LINE);
        let mut out = Vec::new();
        let stalled = std::sync::atomic::AtomicBool::new(false);
        let stall = |f: &StreamFinding<'_>| {
            if !stalled.swap(true, std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            Line(f.line_number)
        };
        let (_, peak) = run(
            &e,
            &m,
            &text[..],
            &mut out,
            StreamOptions::default(),
            3,
            4096,
            &stall,
            &mut |_| {},
        )
        .unwrap();
        assert!(out == expect, "output differs");
        assert!(text.len() / 4096 > 10 * MAX_UNWRITTEN);
        assert!(
            peak <= MAX_UNWRITTEN,
            "{peak} chunks were read and not written"
        );
    }

    /// A line longer than a chunk and than max_line: the rest of the stream is redacted in one
    /// pass, in windows, after everything before it is written.
    #[test]
    fn an_over_long_line_ends_the_parallel_part() {
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let mut text = password_lines(3000);
        for _ in 0..4000 {
            text.extend(b"filler filler filler filler token=FAKEtok0123456789abc ");
        }
        text.extend(b"\nafter password=FAKEpwAFTER1\nno newline at the end");
        let max_line = 64 * 1024;
        let (expect, expect_lines) = sequential(&e, &m, &text, max_line);
        let (out, lines, s) = parallel(&e, &m, &text, max_line, 16 * 1024, 3);
        assert!(out == expect, "output differs");
        assert_eq!(lines, expect_lines);
        assert_eq!(s.bytes_in, text.len() as u64);
        assert_eq!(s.lines, 3003, "the last line has no line end but counts");
    }

    /// A line longer than `max_line` inside a chunk: that chunk is scanned in windows, as the
    /// one-pass stream does.
    #[test]
    fn a_long_line_inside_a_chunk_is_windowed() {
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let mut text = password_lines(2000);
        for i in 0..1800 {
            text.extend(format!("filler filler token=FAKEtok{i:012}abc ").as_bytes());
        }
        text.extend(b"\nafter password=FAKEpwAFTER1\n");
        let max_line = 64 * 1024;
        assert!(has_line_of(&text, max_line) && !has_line_of(&text[..40_000], max_line));
        let (expect, expect_lines) = sequential(&e, &m, &text, max_line);
        let (out, lines, _) = parallel(&e, &m, &text, max_line, 200_003, 2);
        assert!(out == expect, "output differs");
        assert_eq!(lines, expect_lines);
        assert!(!String::from_utf8_lossy(&out).contains("FAKEtok"));
    }
}
