//! The end of every binary's `main`: the exit status, the error chain, a closed pipe.
//!
//! What every binary prints when it fails is `error: <message>`, then each cause on its own
//! line; a closed stdout (`tool | head`) ends the program quietly with success, as ripgrep
//! does. Shared so that all five binaries read and exit the same way: each `main` parses its
//! arguments, runs its library and hands the result to [`finish`].

use std::io::Write;
use std::process::ExitCode;

use crate::exit::ExitStatus;

/// An error a tool's binary can end with: it knows its exit status, and whether it is only
/// stdout having been closed by the reader.
pub trait ToolError: std::error::Error {
    /// The exit status (DESIGN.md's table) this error maps to.
    fn exit_status(&self) -> ExitStatus;

    /// True when the error is a write to stdout failing because the reader went away; such a
    /// run ends quietly with success. Only errors from writing stdout may say so: a broken
    /// pipe to a child process (a key command, say) is a real failure.
    fn is_closed_stdout(&self) -> bool {
        false
    }
}

impl ToolError for crate::Error {
    fn exit_status(&self) -> ExitStatus {
        crate::Error::exit_status(self)
    }
}

/// Turns a run's result into the process exit code, printing the error chain on `stderr`.
pub fn finish<E: ToolError>(result: Result<ExitStatus, E>, stderr: &mut dyn Write) -> ExitCode {
    match result {
        Ok(status) => status.into(),
        Err(error) if error.is_closed_stdout() => ExitCode::SUCCESS,
        Err(error) => {
            write_error_chain(stderr, &error);
            error.exit_status().into()
        }
    }
}

/// Writes `error: …` and the error's causes to `w` (normally stderr). A cause whose text the
/// message already contains (a transparent wrapper) is not repeated. Write errors are ignored:
/// there is nowhere left to report them.
pub fn write_error_chain(w: &mut dyn Write, error: &dyn std::error::Error) {
    let message = error.to_string();
    let _ = writeln!(w, "error: {message}");
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            let _ = writeln!(w, "  caused by: {text}");
        }
        source = cause.source();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("stdout closed")]
    struct ClosedPipe;

    impl ToolError for ClosedPipe {
        fn exit_status(&self) -> ExitStatus {
            ExitStatus::Usage
        }
        fn is_closed_stdout(&self) -> bool {
            true
        }
    }

    #[test]
    fn finish_maps_statuses_and_prints_errors() {
        let mut err = Vec::new();
        assert_eq!(
            finish::<crate::Error>(Ok(ExitStatus::Problem), &mut err),
            ExitCode::from(1)
        );
        assert_eq!(finish(Err(ClosedPipe), &mut err), ExitCode::SUCCESS);
        assert!(err.is_empty(), "a closed stdout prints nothing");
        let mac = crate::Error::MacMismatch {
            path: "b.yaml".into(),
            stored: String::new(),
            computed: String::new(),
        };
        assert_eq!(
            finish::<crate::Error>(Err(mac), &mut err),
            ExitCode::from(3)
        );
        assert!(String::from_utf8(err).unwrap().starts_with("error: "));
    }

    #[test]
    fn prints_message_and_new_causes_only() {
        let inner = std::io::Error::other("disk on fire");
        let outer = crate::Error::Io(std::io::Error::other(inner));
        let mut out = Vec::new();
        write_error_chain(&mut out, &outer);
        assert_eq!(String::from_utf8(out).unwrap(), "error: disk on fire\n");

        let parse = crate::Error::Parse {
            path: "a.yaml".into(),
            format: crate::Format::Yaml,
            source: crate::StoreError::at(3, "bad indent"),
        };
        let mut out = Vec::new();
        write_error_chain(&mut out, &parse);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: cannot parse a.yaml as yaml: line 3: bad indent\n"
        );
    }
}
