//! RG-004: every encrypted value got new ciphertext (a new data key).
//!
//! `sops updatekeys` re-wraps the *same* data key for the new recipients: every `ENC[...]`
//! value stays byte-identical, and anyone who ever held the data key (or a removed key) can
//! still read the bundle. A real rotation (`sops rotate`, `Decrypted::rotate_data_key`)
//! re-encrypts every value. Encrypted comments count as values here.

use std::collections::HashSet;

use bundle_core::{Map, MapItem, Scalar, SeqItem, Value};

use super::{Outcome, Rule, unless_rotation};
use bundle_core::treepath::TreePath;

use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-004",
    title: "every value is re-encrypted with a new data key",
    needs_keys: false,
    integrity: false,
    run,
};

fn is_enc(text: &str) -> bool {
    text.starts_with("ENC[") && text.ends_with(']')
}

/// Every `ENC[...]` string of a tree, with the key path it sits at (`#` for a comment).
pub(crate) fn enc_strings(branches: &[Map]) -> Vec<(String, String)> {
    fn walk(value: &Value, path: &mut TreePath, out: &mut Vec<(String, String)>) {
        match value {
            Value::Scalar(Scalar::Str(t)) if is_enc(t.as_str()) => {
                out.push((path.dotted(), t.as_str().to_owned()));
            }
            Value::Map(map) => walk_map(map, path, out),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        SeqItem::Value(v) => {
                            path.push_index(i);
                            walk(v, path, out);
                            path.pop();
                        }
                        SeqItem::Comment(c) if is_enc(c.text.as_str().trim()) => {
                            out.push((
                                format!("{} (comment)", path.dotted()),
                                c.text.as_str().trim().to_owned(),
                            ));
                        }
                        SeqItem::Comment(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
    fn walk_map(map: &Map, path: &mut TreePath, out: &mut Vec<(String, String)>) {
        for item in &map.items {
            match item {
                MapItem::Entry(k, v) => {
                    path.push_key(k.clone());
                    walk(v, path, out);
                    path.pop();
                }
                MapItem::Comment(c) if is_enc(c.text.as_str().trim()) => {
                    let at = if path.segments().is_empty() {
                        "top level".to_owned()
                    } else {
                        path.dotted()
                    };
                    out.push((format!("{at} (comment)"), c.text.as_str().trim().to_owned()));
                }
                MapItem::Comment(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for branch in branches {
        walk_map(branch, &mut TreePath::default(), &mut out);
    }
    out
}

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let before: HashSet<String> = enc_strings(cx.base.branches())
        .into_iter()
        .map(|(_, enc)| enc)
        .collect();
    let after = enc_strings(cx.new.branches());
    let unchanged: Vec<String> = after
        .iter()
        .filter(|(_, enc)| before.contains(enc))
        .map(|(path, _)| path.clone())
        .collect();
    if unchanged.is_empty() {
        Outcome::pass(format!(
            "all {} encrypted value(s) have new ciphertext",
            after.len()
        ))
    } else {
        Outcome::fail_with(
            format!(
                "{} of {} encrypted value(s) kept their ciphertext: the data key was not rotated (`sops updatekeys` alone leaves the old data key valid; use `sops rotate`)",
                unchanged.len(),
                after.len()
            ),
            unchanged,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_after_a_data_key_rotation() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-004")),
            "all 5 encrypted value(s) have new ciphertext"
        );
    }

    #[test]
    fn fails_after_updatekeys_only() {
        let repo = rotated(&Rotation {
            rotate_data_key: false,
            ..Rotation::scheduled()
        });
        let outcome = outcome(&repo, "RG-004");
        assert!(
            fail(&outcome).starts_with("4 of 5 encrypted value(s) kept their ciphertext"),
            "{outcome:?}"
        );
        assert_eq!(
            outcome.details,
            [
                "db.host_port",
                "db.password",
                "api.pin",
                "aws_secret_access_key"
            ]
        );
    }
}
