//! The multi-literal search: one Aho-Corasick automaton over every needle, run over whole
//! buffers or over a stream in chunks.
//!
//! Leftmost-longest matching: where a needle is contained in another at the same place, the
//! longer one (the more specific finding) is reported. A stream is read in chunks of
//! [`CHUNK`] bytes; the last bytes of a chunk (enough for the longest needle, wrapped) are
//! kept before the next one, so a needle straddling two chunks is found, and a match lying wholly in that carried
//! tail is not reported twice. Line numbers count `\n` before the match, plus one.
//!
//! Wrapped base64 (`base64` writes 76 columns, `openssl base64` and PEM 64) splits a long
//! value's encoding with line breaks, so no needle matches it as it is. Rather than adding
//! needles for every layout (one per width, break offset, alignment and line ending: hundreds
//! per value, and the automaton grows with them), each buffer gets a second, local pass: a
//! line break (`\n` or `\r\n`) is *joinable* when the [`WRAP_MIN`] bytes before it are
//! base64 characters and the next line starts with as many (or is a shorter line of them). Only the neighbourhood of joinable breaks (up to the
//! longest needle on each side) is copied without those breaks and searched again, and only
//! matches that cross a removed break are kept (the others were found by the first pass).
//! Finding the breaks is one look at each `\n` and a few bytes before it, so the scan stays
//! linear: text costs almost nothing more, wrapped base64 is searched about twice.

use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Bytes read from a stream at a time.
pub const CHUNK: usize = 1 << 20;

/// A line break is joined only after at least this many base64 characters (the shortest
/// wrapping in use is 64 columns; 16 keeps ordinary prose from being joined).
pub const WRAP_MIN: usize = 16;

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
}

/// A match: the needle and the 1-based line where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// 1-based line of the match's first byte.
    pub line: usize,
    /// The needle's index.
    pub needle: usize,
}

/// The offset of the first `\n` at or after `from`. Eight bytes at a time (the classic
/// "word has a zero byte" test on the word xor `\n`): a byte-by-byte loop made the search
/// for joinable breaks cost as much as the automaton itself.
fn next_newline(haystack: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = ONES << 7;
    const NEWLINES: u64 = ONES * b'\n' as u64;
    let mut at = from;
    while let Some(word) = haystack.get(at..at + 8) {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ NEWLINES;
        // Exact for the lowest zero byte, which is the one wanted.
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    haystack
        .get(at..)?
        .iter()
        .position(|b| *b == b'\n')
        .map(|p| at + p)
}

/// Whether the line starting `rest` continues wrapped base64: its first [`WRAP_MIN`] bytes
/// are base64 characters, or it is a shorter line of them (the last line of a block).
fn continues_base64(rest: &[u8]) -> bool {
    for (i, &b) in rest.iter().take(WRAP_MIN).enumerate() {
        if !is_base64_byte(b) {
            return i > 0 && matches!(b, b'\n' | b'\r');
        }
    }
    !rest.is_empty()
}

/// The compiled needles.
pub struct Matcher {
    automaton: AhoCorasick,
    /// The most bytes a needle can cover once wrapped (its length plus its line breaks).
    span: usize,
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
        // Joinable lines hold at least WRAP_MIN characters, so a needle crosses at most
        // `longest / WRAP_MIN + 1` breaks of at most 2 bytes.
        let span = longest + 2 * (longest / WRAP_MIN + 1);
        Ok(Self { automaton, span })
    }

    /// Every match in a buffer.
    pub fn scan_slice(&self, haystack: &[u8], hits: &mut Vec<Hit>) {
        self.scan_part(haystack, 0, 0, hits);
    }

    /// Whether `haystack` holds any needle.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.automaton.is_match(haystack)
    }

    /// The byte ranges and needles of the matches in `haystack` (a short text such as a
    /// path), for redaction.
    pub fn spans(&self, haystack: &[u8]) -> Vec<(std::ops::Range<usize>, usize)> {
        self.automaton
            .find_iter(haystack)
            .map(|m| (m.range(), m.pattern().as_usize()))
            .collect()
    }

    /// The joinable line breaks of `haystack`: (offset, length 1 or 2).
    fn joinable_breaks(haystack: &[u8]) -> Vec<(usize, usize)> {
        let mut breaks = Vec::new();
        let mut from = 0;
        while let Some(pos) = next_newline(haystack, from) {
            from = pos + 1;
            let start = if pos > 0 && haystack[pos - 1] == b'\r' {
                pos - 1
            } else {
                pos
            };
            if start >= WRAP_MIN
                && haystack[start - WRAP_MIN..start]
                    .iter()
                    .rev()
                    .all(|b| is_base64_byte(*b))
                && continues_base64(&haystack[pos + 1..])
            {
                breaks.push((start, pos + 1 - start));
            }
        }
        breaks
    }

    /// The second pass over wrapped base64: matches crossing a joinable break, ending after
    /// `skip` bytes.
    fn scan_wrapped(&self, haystack: &[u8], skip: usize, line_base: usize, hits: &mut Vec<Hit>) {
        let breaks = Self::joinable_breaks(haystack);
        let mut i = 0;
        let mut joined = Vec::new();
        // (offset in `joined` where a break was removed, bytes removed up to and with it)
        let mut removed: Vec<(usize, usize)> = Vec::new();
        while i < breaks.len() {
            let from = breaks[i].0.saturating_sub(self.span);
            let mut j = i;
            while j + 1 < breaks.len() && breaks[j + 1].0 <= breaks[j].0 + breaks[j].1 + self.span {
                j += 1;
            }
            let to = (breaks[j].0 + breaks[j].1 + self.span).min(haystack.len());
            joined.clear();
            removed.clear();
            let mut at = from;
            let mut total = 0;
            for &(start, len) in &breaks[i..=j] {
                joined.extend_from_slice(&haystack[at..start]);
                total += len;
                removed.push((joined.len(), total));
                at = start + len;
            }
            joined.extend_from_slice(&haystack[at..to]);
            let before = |pos: usize, inclusive: bool| {
                removed
                    .iter()
                    .take_while(|(p, _)| if inclusive { *p <= pos } else { *p < pos })
                    .last()
                    .map_or(0, |(_, n)| *n)
            };
            for m in self.automaton.find_iter(&joined) {
                if !removed.iter().any(|(p, _)| m.start() < *p && *p < m.end()) {
                    continue;
                }
                let end = from + m.end() + before(m.end(), false);
                if end <= skip {
                    continue;
                }
                let start = from + m.start() + before(m.start(), true);
                hits.push(Hit {
                    line: line_base + count_lines(&haystack[..start]) + 1,
                    needle: m.pattern().as_usize(),
                });
            }
            i = j + 1;
        }
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
        self.scan_wrapped(haystack, skip, line_base, hits);
    }

    /// Every match in a stream, read in chunks into `buf` (reused between calls). Returns the
    /// number of bytes read.
    pub fn scan_reader(
        &self,
        mut reader: impl Read,
        buf: &mut Vec<u8>,
        hits: &mut Vec<Hit>,
    ) -> io::Result<u64> {
        // Enough for a wrapped needle and the WRAP_MIN characters that make its first break
        // joinable.
        let keep = self.span + WRAP_MIN + 1;
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

    /// `text` broken into lines of `width` characters, each ended by `eol`.
    fn wrap(text: &str, width: usize, eol: &str) -> String {
        let mut out = String::new();
        for line in text.as_bytes().chunks(width) {
            out.push_str(std::str::from_utf8(line).unwrap());
            out.push_str(eol);
        }
        out
    }

    fn matcher_for(value: &[u8]) -> Matcher {
        let forms = crate::scan::secrets::encodings(value);
        Matcher::new(forms.iter().map(|(_, n)| n.as_slice())).unwrap()
    }

    #[test]
    fn issue_12_wrapped_base64_is_found_at_64_and_76_columns() {
        use base64::Engine as _;
        let value = [b'k'; 57].iter().chain(b"-and-more-secret-bytes").copied();
        let value: Vec<u8> = value.collect();
        let m = matcher_for(&value);
        for prefix in ["", "u:", "user:"] {
            let mut input = prefix.as_bytes().to_vec();
            input.extend_from_slice(&value);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&input);
            for width in [64, 76] {
                for eol in ["\n", "\r\n"] {
                    let text = format!("header line\n\n{}", wrap(&encoded, width, eol));
                    let mut hits = Vec::new();
                    m.scan_slice(text.as_bytes(), &mut hits);
                    assert_eq!(hits.len(), 1, "{prefix:?} {width} {eol:?}");
                    assert_eq!(hits[0].line, 3, "{prefix:?} {width} {eol:?}");
                }
            }
        }
    }

    #[test]
    fn issue_12_wrapped_base64_across_chunks_is_found_once() {
        use base64::Engine as _;
        let value = b"0123456789abcdefghijklmnopqrstuvwxyz-0123456789abcdefghijklmnopqrstuvwxyz";
        let m = matcher_for(value);
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        // 16 columns (the narrowest joined) with CRLF puts the most breaks in a needle.
        for (width, eol) in [(16, "\r\n"), (64, "\n")] {
            let wrapped = wrap(&encoded, width, eol);
            for offset in (CHUNK - wrapped.len() - 8..CHUNK + 4).step_by(3) {
                let mut data = vec![b'.'; 2 * CHUNK];
                data[5] = b'\n';
                data[offset..offset + wrapped.len()].copy_from_slice(wrapped.as_bytes());
                let mut hits = Vec::new();
                m.scan_reader(&data[..], &mut Vec::new(), &mut hits)
                    .unwrap();
                assert_eq!(hits.len(), 1, "{width} offset {offset}: {hits:?}");
                assert_eq!(hits[0].line, 2, "{width} offset {offset}");
            }
        }
    }

    #[test]
    fn next_newline_agrees_with_a_plain_search() {
        let mut text = Vec::new();
        for i in 0..300u32 {
            text.push(if i % 17 == 0 || i % 29 == 3 {
                b'\n'
            } else {
                b'a' + (i % 26) as u8
            });
            text.push(0x8a); // \n with the high bit set must not match
        }
        for from in 0..=text.len() {
            let expected = text[from..]
                .iter()
                .position(|b| *b == b'\n')
                .map(|p| from + p);
            assert_eq!(next_newline(&text, from), expected, "from {from}");
        }
    }

    #[test]
    fn prose_and_short_lines_are_not_joined() {
        assert_eq!(
            Matcher::joinable_breaks(b"a sentence ends here\nand goes on\nshort\nx"),
            []
        );
        assert_eq!(
            Matcher::joinable_breaks(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\nabc\n"),
            [(26, 2)]
        );
        // A base64 line followed by prose is not joined.
        assert_eq!(
            Matcher::joinable_breaks(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\nthe rotation\n"),
            []
        );
        assert_eq!(
            Matcher::joinable_breaks(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\nABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            [(26, 1)]
        );
    }
}
