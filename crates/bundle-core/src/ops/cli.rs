//! What every binary of the toolkit prints when it fails: `error: <message>`, then each
//! cause on its own line. Shared so that all tools read the same way.

use std::io::Write;

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
