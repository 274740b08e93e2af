//! The exit statuses every binary of the toolkit returns (DESIGN.md, "Exit codes").
//!
//! One enum instead of bare numbers, so a status cannot be mistyped and a wrapper cannot
//! quietly turn one kind into another (a key error reported as a usage error, say). The
//! engine classifies its own errors with it ([`crate::Error::exit_status`]); the tools'
//! error types do the same through `ops::cli::ToolError`, which is built on this.

use std::fmt;
use std::process::ExitCode;

/// What a run of a tool ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitStatus {
    /// 0: success, all checks hold.
    Success,
    /// 1: the tool ran and found a problem (a failing control, a regression, a leak, a
    /// rejected rotation).
    Problem,
    /// 2: usage or input error (bad arguments, malformed or missing file).
    Usage,
    /// 3: key or integrity error (no key can decrypt, MAC mismatch, tampered ciphertext).
    Integrity,
}

impl ExitStatus {
    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Problem => 1,
            Self::Usage => 2,
            Self::Integrity => 3,
        }
    }

    /// [`ExitStatus::Problem`] when `found`, else [`ExitStatus::Success`].
    pub const fn problem_if(found: bool) -> Self {
        if found { Self::Problem } else { Self::Success }
    }

    /// Whether this is [`ExitStatus::Success`].
    pub const fn is_success(self) -> bool {
        matches!(self, Self::Success)
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_design_table() {
        let all = [
            ExitStatus::Success,
            ExitStatus::Problem,
            ExitStatus::Usage,
            ExitStatus::Integrity,
        ];
        assert_eq!(all.map(ExitStatus::code), [0, 1, 2, 3]);
        assert_eq!(ExitStatus::problem_if(true), ExitStatus::Problem);
        assert_eq!(ExitStatus::problem_if(false), ExitStatus::Success);
        assert_eq!(ExitCode::from(ExitStatus::Usage), ExitCode::from(2));
    }
}
