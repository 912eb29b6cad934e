//! One stream redacted on several threads, written in its original order, byte for byte what
//! one thread writes.
//!
//! The calling thread cuts the input into chunks of whole lines ([`CHUNK`] bytes or so) and
//! hands them to `threads - 1` workers, at most three queued per worker and [`MAX_IN_FLIGHT`] in
//! all; when the workers have enough, it scans the chunk itself, so that no core idles while
//! the reading thread waits. Memory stays bounded by the chunks read and not yet written,
//! however the threads are scheduled: a chunk finished early waits for the ones before it, and
//! at [`MAX_UNWRITTEN`] the reader waits too. Chunk buffers go back and forth between the
//! threads to be reused.
//!
//! Workers run the rules only. The memory of secrets seen before belongs to the whole stream (a
//! value found in the first chunk is masked where it repeats megabytes later), so it is kept by
//! the calling thread, which finishes the chunks in stream order: for each line, it remembers
//! what the worker learned from it, adds the remembered secrets the line holds, masks, and
//! reports the findings with their line numbers. That is the one-thread stream's work, in the
//! same order, so the output does not depend on the thread count. Its cost is a pass of the
//! memory's lookup over the text (none while nothing is remembered), on one thread.
//!
//! A chunk's scanner is started over (each thread keeps one, for its regex caches), first
//! primed with the last lines before it ([`LEAD`] bytes, scanned but not written): a key whose
//! value is on the next line, a private-key block, a DynamoDB expression binding that straddle
//! the cut are found as in one pass.
//!
//! A chunk with a line of `max_line` bytes or more is redacted by the calling thread once
//! everything before it is written, through [`redact_stream`] (which scans such lines in
//! windows) with the stream's memory; a line longer than a chunk ends the parallel part: the
//! rest of the stream goes through one [`redact_stream`].

use crate::engine::{Engine, Finding, Learned};
use crate::mask::Masker;
use crate::redact::{PlacedMask, Redactor, mask_into};
use crate::stream::{
    StreamError, StreamFinding, StreamOptions, StreamSummary, read_more, redact_stream,
    split_terminator,
};
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::ops::Range;
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
}

/// A chunk scanned by the rules, to be finished with the stream's memory.
struct Done {
    seq: u64,
    data: Vec<u8>,
    scanned: Scanned,
}

/// What the rules found in a chunk: the lines with findings or learned secrets, in order.
#[derive(Default)]
struct Scanned {
    lines: Vec<ScannedLine>,
    findings: Vec<Finding>,
    learned: Learned,
    /// Lines in the chunk (the last may lack its line end).
    line_count: u64,
}

struct ScannedLine {
    /// The line without its terminator, in the chunk.
    body: Range<usize>,
    /// Its findings in [`Scanned::findings`] (spans in the line).
    findings: Range<usize>,
    /// What it taught the memory, in [`Scanned::learned`].
    learned: Range<usize>,
}

/// At most this many chunks are queued to or scanned by the workers, however many threads.
pub const MAX_IN_FLIGHT: usize = 8;
/// At most this many chunks are read and not yet written (queued, being scanned, or done and
/// waiting for an earlier one), however many threads: with a worker descheduled (more threads
/// than cores), the others would otherwise finish chunks after it without end. Ten chunks hold
/// about 6 MiB of input and what the rules found in it.
pub const MAX_UNWRITTEN: usize = 10;

/// Redact `input` to `output` on `threads` threads: the output, the findings handed to
/// `on_finding` (in stream order) and the summary are those of [`redact_stream`] on one thread.
pub fn redact_stream_parallel<R: Read, W: Write>(
    engine: &Engine,
    masker: &Masker,
    input: R,
    output: &mut W,
    opts: StreamOptions,
    threads: usize,
    on_finding: &mut dyn FnMut(&StreamFinding<'_>),
) -> Result<StreamSummary, StreamError> {
    let threads = threads.clamp(1, MAX_IN_FLIGHT);
    run(
        engine, masker, input, output, opts, threads, CHUNK, on_finding,
    )
    .map(|(summary, _)| summary)
}

/// A redactor that scans for a worker: the memory is the writer's.
fn worker_redactor<'e>(engine: &'e Engine, masker: &Masker) -> Redactor<'e> {
    let mut r = Redactor::new(engine, masker.clone());
    r.scanner().defer_memory(true);
    r
}

#[allow(clippy::too_many_arguments)]
fn run<R: Read, W: Write>(
    engine: &Engine,
    masker: &Masker,
    mut input: R,
    output: &mut W,
    opts: StreamOptions,
    threads: usize,
    chunk: usize,
    on_finding: &mut dyn FnMut(&StreamFinding<'_>),
) -> Result<(StreamSummary, usize), StreamError> {
    // Returns the summary and the most chunks that were ever read and not yet written.
    //
    // The calling thread reads, writes and, when the workers have enough queued, scans a
    // chunk itself: `threads` threads in all, none of them idle while another waits for I/O.
    let workers = threads - 1;
    // A worker's queue must outlast a chunk the calling thread reads and scans itself: with
    // two per worker it often ran dry meanwhile (2 threads, 1 % file: 4-10 ms idle per run,
    // 1.70× → 1.76× with three).
    let max_in_flight = (3 * workers).min(MAX_IN_FLIGHT);
    // Also the calling thread's own chunks, finished before their turn: with room for one
    // only, the calling thread often waited for a worker's chunk instead of scanning the
    // next (2 threads, 1 % file: 1.69× → 1.72× with room for three).
    let max_unwritten = (max_in_flight + 4).min(MAX_UNWRITTEN);
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut redactor = worker_redactor(engine, masker);
                loop {
                    // The lock is held only while taking a job.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    if done_tx.send(work(&mut redactor, job)).is_err() {
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
            memory: Redactor::new(engine, masker.clone()),
            out: Vec::new(),
            findings: Vec::new(),
            masks: Vec::new(),
        };
        let mut seq = 0u64;
        // The calling thread's scanner, for the chunks it scans itself.
        let mut redactor = worker_redactor(engine, masker);
        let mut peak_unwritten = 0;
        let mut lead: Vec<u8> = Vec::new();
        let read_size = chunk + chunk / 16;
        let mut buf: Vec<u8> = Vec::with_capacity(read_size);
        let mut eof = false;
        let long_line = opts.line_limit().max(chunk);

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
                        break sequential_rest(opts, on_finding, &mut writer, lead, buf, input);
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
                let job = Job {
                    seq,
                    lead: std::mem::replace(&mut lead, next_lead),
                    data,
                };
                seq += 1;
                if has_line_of(&job.data, opts.line_limit()) {
                    // Scanned in windows, with the stream's memory, once all before is written.
                    if let Err(e) = writer.windowed(opts, on_finding, job) {
                        break 'chunks Err(e);
                    }
                    continue;
                }
                if let Err(e) = writer.take_ready(on_finding) {
                    break 'chunks Err(e);
                }
                // The oldest chunk not written is with a worker (the calling thread writes
                // its own at once, when their turn has come): wait for it.
                while job.seq - writer.next >= max_unwritten as u64 {
                    if let Err(e) = writer.take_one(on_finding) {
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
                } else if let Err(e) = writer.put(work(&mut redactor, job), on_finding) {
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
        writer.take_all(on_finding)?;
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

/// Run the rules over the lines of `text` (runs of lines without a keyword skipped, as the
/// stream does), calling `on_line` with each line scanned (without terminator) and its
/// findings; returns the number of lines.
fn scan_lines(
    r: &mut Redactor<'_>,
    text: &[u8],
    findings: &mut Vec<Finding>,
    mut on_line: impl FnMut(&mut Redactor<'_>, Range<usize>, &[Finding]),
) -> u64 {
    let mut lines = 0;
    let mut start = 0;
    while start < text.len() {
        let quiet = r.quiet_prefix(&text[start..]);
        start += quiet.len;
        lines += quiet.lines;
        if start == text.len() {
            break;
        }
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |n| start + n + 1);
        let body = split_terminator(&text[start..end]).0;
        r.scan_next_line(body, quiet, findings);
        on_line(r, start..start + body.len(), findings);
        lines += 1;
        start = end;
    }
    lines
}

/// Start `r` over (its memory deferred), then let it see `lead`, the lines before a chunk.
fn prime(r: &mut Redactor<'_>, lead: &[u8]) {
    r.start_over();
    let mut scratch = Vec::new();
    scan_lines(r, lead, &mut scratch, |_, _, _| {});
    if let Some(learned) = r.scanner().learned() {
        learned.clear();
    }
}

/// Run the rules over a chunk, after its lead; the memory is left to the writer.
fn work(r: &mut Redactor<'_>, job: Job) -> Done {
    #[cfg(test)]
    tests::stall_on_marker(&job.data);
    prime(r, &job.lead);
    let mut scanned = Scanned::default();
    let mut findings = Vec::new();
    scanned.line_count = scan_lines(r, &job.data, &mut findings, |r, body, found| {
        let learned = r.scanner().learned().map_or(0, |l| l.len());
        let learned_from = scanned.lines.last().map_or(0, |l| l.learned.end);
        if found.is_empty() && learned == learned_from {
            return;
        }
        let from = scanned.findings.len();
        scanned.findings.extend_from_slice(found);
        scanned.lines.push(ScannedLine {
            body,
            findings: from..scanned.findings.len(),
            learned: learned_from..learned,
        });
    });
    if let Some(learned) = r.scanner().learned() {
        scanned.learned = std::mem::take(learned);
    }
    Done {
        seq: job.seq,
        data: job.data,
        scanned,
    }
}

/// Finishes scanned chunks with the stream's memory and writes them, in their order.
struct InOrder<'w, 'e, W: Write> {
    output: &'w mut W,
    done_rx: mpsc::Receiver<Done>,
    /// Chunks handed to the workers and not yet received back.
    in_flight: usize,
    waiting: BTreeMap<u64, Done>,
    next: u64,
    summary: StreamSummary,
    /// The lines before the stream (its first line number - 1).
    lines_at_start: u64,
    /// Buffers written out, for the next chunks.
    spare: Vec<Vec<u8>>,
    /// The stream's memory of secrets, in the scanner of the chunks redacted here in windows.
    memory: Redactor<'e>,
    // Scratch space for finishing a chunk.
    out: Vec<u8>,
    findings: Vec<Finding>,
    masks: Vec<PlacedMask>,
}

impl<W: Write> InOrder<'_, '_, W> {
    /// The lines before the next chunk to write.
    fn lines_before(&self) -> u64 {
        self.lines_at_start + self.summary.lines
    }

    /// Wait for one chunk from the workers, then write every chunk that is next in order.
    fn take_one(
        &mut self,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    ) -> Result<(), StreamError> {
        let done = self
            .done_rx
            .recv()
            .map_err(|_| StreamError::Read(io::Error::other("a worker thread stopped")))?;
        self.in_flight -= 1;
        self.put(done, on_finding)
    }

    /// Take every chunk the workers have finished, without waiting.
    fn take_ready(
        &mut self,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    ) -> Result<(), StreamError> {
        while let Ok(done) = self.done_rx.try_recv() {
            self.in_flight -= 1;
            self.put(done, on_finding)?;
        }
        Ok(())
    }

    /// Wait for and write every chunk still in flight.
    fn take_all(
        &mut self,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    ) -> Result<(), StreamError> {
        while self.in_flight > 0 {
            self.take_one(on_finding)?;
        }
        Ok(())
    }

    /// A scanned chunk: finish and write it and every chunk after it in order, or keep it
    /// until its turn.
    fn put(
        &mut self,
        done: Done,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    ) -> Result<(), StreamError> {
        self.waiting.insert(done.seq, done);
        while let Some(done) = self.waiting.remove(&self.next) {
            self.finish(&done, on_finding);
            self.output
                .write_all(&self.out)
                .map_err(StreamError::Write)?;
            self.summary.lines += done.scanned.line_count;
            self.spare.push(done.data);
            self.next += 1;
        }
        Ok(())
    }

    /// Into `self.out`: the chunk with its rules' findings and the remembered secrets it
    /// holds masked, line by line as the one-thread stream does.
    fn finish(&mut self, done: &Done, on_finding: &mut dyn FnMut(&StreamFinding<'_>)) {
        let text = &done.data[..];
        let scanned = &done.scanned;
        self.out.clear();
        // Line numbers are counted only where a finding needs one.
        let mut counted = (0, self.lines_before() + 1);
        let mut records = scanned.lines.iter().peekable();
        let mut at = 0;
        while at < text.len() {
            let next = records.peek().map_or(text.len(), |l| l.body.start);
            // Lines the rules found nothing in pass as they are, up to one that holds a
            // remembered secret.
            let quiet_end = self
                .memory
                .scanner()
                .first_remembered_line(&text[at..next])
                .map_or(next, |n| at + n);
            self.out.extend_from_slice(&text[at..quiet_end]);
            at = quiet_end;
            if at == text.len() {
                break;
            }
            self.findings.clear();
            let (body, learned) = match records.next_if(|l| l.body.start == at) {
                Some(l) => {
                    self.findings
                        .extend_from_slice(&scanned.findings[l.findings.clone()]);
                    (l.body.clone(), l.learned.clone())
                }
                None => {
                    let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |n| at + n + 1);
                    let body = split_terminator(&text[at..end]).0;
                    (at..at + body.len(), 0..0)
                }
            };
            let line = &text[body.clone()];
            self.memory.scanner().recall_learned(
                line,
                &scanned.learned,
                learned,
                &mut self.findings,
            );
            let seg_start = self.out.len();
            self.masks.clear();
            mask_into(
                self.memory.engine(),
                self.memory.masker(),
                line,
                0..line.len(),
                &self.findings,
                &mut self.out,
                Some(&mut self.masks),
            );
            if !self.masks.is_empty() {
                counted.1 += memchr::memchr_iter(b'\n', &text[counted.0..at]).count() as u64;
                counted.0 = at;
                let redacted = &self.out[seg_start..];
                for m in &self.masks {
                    on_finding(&StreamFinding {
                        line_number: counted.1,
                        column: m.secret.start as u64 + 1,
                        rule: m.rule,
                        secret: &line[m.secret.clone()],
                        redacted,
                        mask_at: m.mask.clone(),
                    });
                }
                self.summary.findings += self.masks.len() as u64;
            }
            // The line's terminator.
            let end =
                memchr::memchr(b'\n', &text[body.end..]).map_or(text.len(), |n| body.end + n + 1);
            self.out.extend_from_slice(&text[body.end..end]);
            at = end;
        }
    }

    /// A chunk with a line of `max_line` or more: once every chunk before it is written, the
    /// stream's own scanner redacts it, in windows, with the stream's memory.
    fn windowed(
        &mut self,
        opts: StreamOptions,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
        job: Job,
    ) -> Result<(), StreamError> {
        self.through_stream(opts, on_finding, &job.lead, &job.data[..])?;
        debug_assert!(self.waiting.is_empty() && self.next == job.seq);
        self.spare.push(job.data);
        self.next += 1;
        Ok(())
    }

    /// Write every chunk in flight, then redact `input` (whose lines before are `lead`) in one
    /// pass with the stream's scanner and memory; its lines and findings are counted, its
    /// summary returned.
    fn through_stream<R: Read>(
        &mut self,
        opts: StreamOptions,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
        lead: &[u8],
        input: R,
    ) -> Result<StreamSummary, StreamError> {
        self.take_all(on_finding)?;
        prime_keeping_memory(&mut self.memory, lead);
        let opts = StreamOptions {
            first_line: self.lines_before() + 1,
            ..opts
        };
        let s = redact_stream(&mut self.memory, input, self.output, opts, on_finding)?;
        self.summary.lines += s.lines;
        self.summary.findings += s.findings;
        Ok(s)
    }
}

/// Let the stream's scanner see `lead`, the lines before a chunk, without learning from them
/// (the memory learned them when they were finished).
fn prime_keeping_memory(r: &mut Redactor<'_>, lead: &[u8]) {
    r.end_of_text();
    r.scanner().defer_memory(true);
    let mut scratch = Vec::new();
    scan_lines(r, lead, &mut scratch, |_, _, _| {});
    r.scanner().defer_memory(false);
}

/// A line longer than a chunk: write what is in flight, then redact the rest in one pass with
/// the stream's scanner.
fn sequential_rest<R: Read, W: Write>(
    opts: StreamOptions,
    on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    writer: &mut InOrder<'_, '_, W>,
    lead: Vec<u8>,
    buf: Vec<u8>,
    input: R,
) -> Result<(), StreamError> {
    // Bytes already counted as read are in `buf`; the rest are counted by the stream.
    let already = buf.len() as u64;
    let s = writer.through_stream(opts, on_finding, &lead, io::Cursor::new(buf).chain(input))?;
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
        let s = run(e, m, text, &mut out, opts, threads, chunk, &mut |f| {
            lines.push(f.line_number)
        })
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

    /// Secrets found early repeat chunks later: bare, on a line with a keyword, cut short, in
    /// an over-long line scanned in windows, and after it. The stream's memory finds them
    /// whatever the thread count and the cuts, as one pass does.
    #[test]
    fn remembered_secrets_are_found_chunks_later() {
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let pw = "FAKEpwRemembered0123456789";
        let tok = "FAKEtokAAAAbbbbCCCCdddd9999";
        let filler = |text: &mut Vec<u8>, n: usize| {
            for i in 0..n {
                text.extend(format!("filler line {i} with nothing in it\n").as_bytes());
            }
        };
        let repeats = |text: &mut Vec<u8>| {
            text.extend(format!("echo {pw} again\n").as_bytes());
            text.extend(format!("user=bob token=short {tok} code\n").as_bytes());
            text.extend(format!("cut {}...\n", &pw[..20]).as_bytes());
            text.extend(format!("repr '{}'+9\n", &tok[..17]).as_bytes());
            text.extend(tok.as_bytes());
        };
        let mut text = Vec::new();
        text.extend(format!("login password={pw}\n").as_bytes());
        text.extend(format!("x-api-key: {tok}\n").as_bytes());
        filler(&mut text, 3000);
        repeats(&mut text);
        text.push(b'\n');
        // An over-long line holding a repeat, scanned in windows.
        for i in 0..3000 {
            text.extend(format!("long{i} ").as_bytes());
            if i == 2000 {
                text.extend(format!("{pw} ").as_bytes());
            }
        }
        text.push(b'\n');
        filler(&mut text, 3000);
        repeats(&mut text);
        let max_line = 16 * 1024;
        let (expect, expect_lines) = sequential(&e, &m, &text, max_line);
        let shown = String::from_utf8_lossy(&expect);
        assert!(
            !shown.contains(&pw[..12]) && !shown.contains(&tok[..12]),
            "{shown}"
        );
        assert_eq!(expect_lines.len(), 2 + 2 * 5 + 1);
        for (chunk, threads) in [(4096, 2), (20_000, 3), (4096, 1), (CHUNK, 4)] {
            let (out, lines, s) = parallel(&e, &m, &text, max_line, chunk, threads);
            assert!(
                out == expect,
                "chunk {chunk}, {threads} threads: output differs"
            );
            assert_eq!(lines, expect_lines, "chunk {chunk}, {threads} threads");
            assert_eq!(s.findings, lines.len() as u64);
        }
    }

    /// A chunk that starts with this line takes its worker 300 ms more.
    pub(super) const STALL: &[u8] = b"STALL (a test's slow chunk)\n";

    pub(super) fn stall_on_marker(data: &[u8]) {
        if data.starts_with(STALL) {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }

    /// A worker stalls on its first chunk while the others go on: the chunks finished after it
    /// wait for it, but no more of them than the bound (memory stays bounded whatever the
    /// scheduling), and the output is still the one-pass output.
    #[test]
    fn a_stalled_worker_holds_back_a_bounded_number_of_chunks() {
        let e = Engine::builtin();
        let m = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let mut text = STALL.to_vec();
        text.extend(password_lines(20_000));
        let (expect, _) = sequential(&e, &m, &text, crate::stream::DEFAULT_MAX_LINE);
        let mut out = Vec::new();
        let (_, peak) = run(
            &e,
            &m,
            &text[..],
            &mut out,
            StreamOptions::default(),
            3,
            4096,
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
