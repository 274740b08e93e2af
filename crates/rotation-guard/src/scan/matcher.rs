//! The multi-literal search: one Aho-Corasick automaton over every needle, run over whole
//! buffers or over a stream in chunks.
//!
//! Leftmost-longest matching: where a needle is contained in another at the same place, the
//! longer one (the more specific finding) is reported. A stream is read in chunks of
//! [`CHUNK`] bytes; the last `longest needle - 1` bytes of a chunk are kept before the next
//! one, so a needle straddling two chunks is found, and a match lying wholly in that carried
//! tail is not reported twice. Line numbers count `\n` before the match, plus one.

use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Bytes read from a stream at a time.
pub const CHUNK: usize = 1 << 20;

/// A match: the needle and the 1-based line where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// 1-based line of the match's first byte.
    pub line: usize,
    /// The needle's index.
    pub needle: usize,
}

/// The compiled needles.
pub struct Matcher {
    automaton: AhoCorasick,
    longest: usize,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("patterns", &self.automaton.patterns_len())
            .finish_non_exhaustive()
    }
}

// A plain loop that the compiler vectorizes; no need for the bytecount crate.
#[allow(clippy::naive_bytecount)]
fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

impl Matcher {
    /// Compiles the needles (at least one, none empty).
    pub fn new<I, P>(needles: I) -> Result<Self, aho_corasick::BuildError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let needles: Vec<P> = needles.into_iter().collect();
        let longest = needles.iter().map(|n| n.as_ref().len()).max().unwrap_or(1);
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&needles)
            .or_else(|_| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&needles)
            })?;
        Ok(Self { automaton, longest })
    }

    /// Every match in a buffer.
    pub fn scan_slice(&self, haystack: &[u8], hits: &mut Vec<Hit>) {
        self.scan_part(haystack, 0, 0, hits);
    }

    /// Matches ending after `skip` bytes, with lines counted from `line_base`.
    fn scan_part(&self, haystack: &[u8], skip: usize, line_base: usize, hits: &mut Vec<Hit>) {
        let mut counted_to = 0;
        let mut line = line_base;
        for m in self.automaton.find_iter(haystack) {
            if m.end() <= skip {
                continue;
            }
            line += count_lines(&haystack[counted_to..m.start()]);
            counted_to = m.start();
            hits.push(Hit {
                line: line + 1,
                needle: m.pattern().as_usize(),
            });
        }
    }

    /// Every match in a stream, read in chunks into `buf` (reused between calls). Returns the
    /// number of bytes read.
    pub fn scan_reader(
        &self,
        mut reader: impl Read,
        buf: &mut Vec<u8>,
        hits: &mut Vec<Hit>,
    ) -> io::Result<u64> {
        let keep = self.longest.saturating_sub(1);
        buf.resize(CHUNK + keep, 0);
        let (mut filled, mut tail, mut line_base, mut total) = (0usize, 0usize, 0usize, 0u64);
        loop {
            let mut eof = false;
            while filled < buf.len() {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        filled += n;
                        total += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.scan_part(&buf[..filled], tail, line_base, hits);
            if eof {
                return Ok(total);
            }
            let carry_from = filled - keep.min(filled);
            line_base += count_lines(&buf[..carry_from]);
            buf.copy_within(carry_from..filled, 0);
            filled -= carry_from;
            tail = filled;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_needles_with_lines() {
        let m = Matcher::new(["needle-one", "needle-one-longer", "two"]).unwrap();
        let mut hits = Vec::new();
        m.scan_slice(b"a\nneedle-one-longer x\n\nthe two\n", &mut hits);
        assert_eq!(
            hits,
            [Hit { line: 2, needle: 1 }, Hit { line: 4, needle: 2 }]
        );
    }

    #[test]
    fn a_needle_across_chunks_is_found_once() {
        let m = Matcher::new(["0123456789abcdef"]).unwrap();
        for offset in [
            CHUNK - 20,
            CHUNK - 8,
            CHUNK - 1,
            CHUNK,
            CHUNK + 3,
            2 * CHUNK - 5,
        ] {
            let mut data = vec![b'.'; 3 * CHUNK];
            data[10] = b'\n';
            data[offset..offset + 16].copy_from_slice(b"0123456789abcdef");
            let mut hits = Vec::new();
            let read = m
                .scan_reader(&data[..], &mut Vec::new(), &mut hits)
                .unwrap();
            assert_eq!(read, data.len() as u64);
            assert_eq!(hits, [Hit { line: 2, needle: 0 }], "offset {offset}");
        }
    }

    #[test]
    fn lines_are_counted_across_chunks() {
        let m = Matcher::new(["marker-xyz"]).unwrap();
        let mut data = b"line\n".repeat(CHUNK / 5 * 2);
        data.extend_from_slice(b"marker-xyz\n");
        let mut hits = Vec::new();
        m.scan_reader(&data[..], &mut Vec::new(), &mut hits)
            .unwrap();
        assert_eq!(
            hits,
            [Hit {
                line: CHUNK / 5 * 2 + 1,
                needle: 0
            }]
        );
    }
}
