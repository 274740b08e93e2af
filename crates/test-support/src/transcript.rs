//! The one snapshot shape of a command's outcome, in every crate: whether it succeeded, its
//! exit code, then stdout and stderr, in one block (uv's shape), so a reviewer reads every
//! exit-status snapshot the same way:
//!
//! ```text
//! success: false
//! exit_code: 2
//! ----- stdout -----
//! ----- stderr -----
//! error: ...
//! ```
//!
//! Paths that change from run to run (temp dirs) are replaced by placeholders such as
//! `[TMP]` or `[REPO]`, as zizmor's `@@INPUT@@`.

use std::fmt;
use std::path::Path;
use std::process::Output;

/// Exit status, stdout and stderr of one run, ready to snapshot with its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    /// Standard output, as text.
    pub stdout: String,
    /// Standard error, as text.
    pub stderr: String,
}

impl Transcript {
    /// A transcript of an outcome that did not come from a process (a command run in process).
    pub fn new(code: impl Into<i32>, stdout: impl Into<String>, stderr: impl Into<String>) -> Self {
        Self {
            code: Some(code.into()),
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    /// The transcript of a finished process (streams decoded lossily).
    pub fn of(output: &Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Replaces `path` (as displayed) by `placeholder` in both streams.
    #[must_use]
    pub fn redact(mut self, path: &Path, placeholder: &str) -> Self {
        self.stdout = redact_path(&self.stdout, path, placeholder);
        self.stderr = redact_path(&self.stderr, path, placeholder);
        self
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "success: {}", self.code == Some(0))?;
        match self.code {
            Some(code) => writeln!(f, "exit_code: {code}")?,
            None => writeln!(f, "exit_code: signal")?,
        }
        write!(
            f,
            "----- stdout -----\n{}----- stderr -----\n{}",
            self.stdout, self.stderr
        )
    }
}

/// `text` with every occurrence of `path` (as displayed) replaced by `placeholder`.
pub fn redact_path(text: &str, path: &Path, placeholder: &str) -> String {
    text.replace(&path.display().to_string(), placeholder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_status_code_then_both_streams() {
        let t = Transcript::new(2, "out\n", "error: at /tmp/x/a\n")
            .redact(Path::new("/tmp/x"), "[TMP]");
        assert_eq!(
            t.to_string(),
            "success: false\nexit_code: 2\n----- stdout -----\nout\n----- stderr -----\nerror: at [TMP]/a\n"
        );
        assert!(
            Transcript::new(0, "", "")
                .to_string()
                .starts_with("success: true\nexit_code: 0\n")
        );
    }
}
