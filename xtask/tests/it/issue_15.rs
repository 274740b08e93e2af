//! Issue 15 end to end: tampered files are refused by every command that reads them (exit 3,
//! file untouched, so nothing launders them); `bundle set` types numbers and appends to
//! sequences as `sops set` does; `bundle updatekeys` keeps the metadata sops keeps. Where
//! sops is on PATH, the same commands run through it on copies of the same file.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use assert_cmd::Command;
use test_support::sops;

use crate::common::xtask;

const ALICE: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
const BOB: &str = "age1lwfgmzxy5f6kr8gqtga0q82rpfvzzvjp43ee0lwyyv6ec8k8gfcszdlxuy";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/bundle-core/tests/fixtures")
}

fn key_file(name: &str) -> PathBuf {
    fixtures().join(format!("sops-3.11.0/keys/{name}.agekey"))
}

fn ours(dir: &Path, key: &str) -> Command {
    let mut cmd = xtask(dir);
    cmd.env("SOPS_AGE_KEY_FILE", key_file(key))
        .env("SOURCE_DATE_EPOCH", "1796000000");
    cmd.arg("bundle");
    cmd
}

fn run_sops(sops: &Path, dir: &Path, key: &str, args: &[&str]) -> Output {
    StdCommand::new(sops)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("SOPS_AGE_KEY_FILE", key_file(key))
        .arg("--disable-version-check")
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn ok(out: &Output) -> Vec<u8> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout.clone()
}

/// Every `type:` tag of the file's values, in order, with the key of its line.
fn type_tags(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("mac:") && l.contains("ENC["))
        .map(|l| {
            let key = l.split("ENC[").next().unwrap().trim();
            let ty = l.rsplit(",type:").next().unwrap().trim_end_matches(']');
            format!("{key} {ty}")
        })
        .collect()
}

fn write_config(dir: &Path, recipients: &str) {
    fs_err::write(
        dir.join(".sops.yaml"),
        format!("creation_rules:\n  - age: {recipients}\n"),
    )
    .unwrap();
}

#[test]
fn issue_15_tampered_files_are_refused_by_every_command() {
    let sops_made = fs_err::read_to_string(fixtures().join("issue-15/seq-comment.yaml")).unwrap();
    let mac_line = sops_made
        .lines()
        .find(|l| l.starts_with("    mac: ENC["))
        .unwrap();
    let mac_int = sops_made.replace(mac_line, &mac_line.replace(",type:str]", ",type:int]"));
    let comment = sops_made.replace("- ENC[AES256_GCM,data:KSs=,", "- ENC[AES256_GCM,data:LSs=,");
    for (name, text, message) in [
        ("mac-int", &mac_int, "the MAC is stored as type `int`"),
        (
            "seq-comment",
            &comment,
            "at `a:`: the value does not authenticate",
        ),
    ] {
        assert_ne!(text, &sops_made, "{name}: the tamper changed nothing");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_config(d, &format!("{ALICE},{BOB}"));
        let file = d.join("t.yaml");
        let commands: [&[&str]; 5] = [
            &["decrypt", "t.yaml"],
            &["set", "t.yaml", r#"["b"]"#, r#""y""#],
            &["unset", "t.yaml", r#"["b"]"#],
            &["rotate", "t.yaml"],
            &["updatekeys", "--yes", "t.yaml"],
        ];
        for args in commands {
            fs_err::write(&file, text).unwrap();
            let out = ours(d, "alice").args(args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(3), "{name} {args:?}: {stderr}");
            assert!(stderr.contains(message), "{name} {args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{name} {args:?}");
            assert_eq!(
                &fs_err::read_to_string(&file).unwrap(),
                text,
                "{name} {args:?} rewrote the tampered file"
            );
        }
        if let Some(sops) = sops() {
            fs_err::write(&file, text).unwrap();
            let out = run_sops(&sops, d, "alice", &["decrypt", "t.yaml"]);
            let want = if name == "mac-int" { 51 } else { 25 };
            assert_eq!(
                out.status.code(),
                Some(want),
                "sops on {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// `set` of a number stores `type:float` (every JSON number is a float to sops), and an
/// index past the end of a sequence appends. Without sops, the expected tags are pinned.
#[test]
fn issue_15_set_types_and_appends_like_sops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let start = fs_err::read(fixtures().join("issue-15/seq-comment.yaml")).unwrap();
    let sets: [(&str, &str); 6] = [
        (r#"["k"]"#, "42"),
        (r#"["f"]"#, "4.5"),
        (r#"["neg"]"#, "-7"),
        (r#"["a"][5]"#, r#""appended""#),
        (r#"["nl"][3]"#, "true"),
        (r#"["o"]"#, r#"{"x": 1, "y": [2, "s"]}"#),
    ];
    fs_err::write(d.join("ours.yaml"), &start).unwrap();
    for (path, value) in sets {
        ok(&ours(d, "alice")
            .args(["set", "ours.yaml", path, value])
            .output()
            .unwrap());
    }
    let ours_text = fs_err::read_to_string(d.join("ours.yaml")).unwrap();
    let ours_tags = type_tags(&ours_text);
    assert_eq!(
        ours_tags,
        [
            "- comment",
            "- int",
            "- int",
            "- str",
            "b: str",
            "k: float",
            "f: float",
            "neg: float",
            "- bool",
            "x: float",
            "- float",
            "- str",
        ],
        "{ours_text}"
    );
    let ours_plain = ok(&ours(d, "alice")
        .args(["decrypt", "ours.yaml"])
        .output()
        .unwrap());
    assert_eq!(
        String::from_utf8(ours_plain.clone()).unwrap(),
        "a:\n    # c\n    - 1\n    - 2\n    - appended\nb: x\nk: 42\nf: 4.5\nneg: -7\nnl:\n    - true\no:\n    x: 1\n    \"y\":\n        - 2\n        - s\n"
    );

    let Some(sops) = sops() else { return };
    fs_err::write(d.join("theirs.yaml"), &start).unwrap();
    for (path, value) in sets {
        ok(&run_sops(
            &sops,
            d,
            "alice",
            &["set", "theirs.yaml", path, value],
        ));
    }
    let theirs_text = fs_err::read_to_string(d.join("theirs.yaml")).unwrap();
    assert_eq!(type_tags(&theirs_text), ours_tags, "{theirs_text}");
    // Both ways: sops reads our file, we read sops' file, and all four agree.
    let sops_of_ours = ok(&run_sops(&sops, d, "alice", &["decrypt", "ours.yaml"]));
    let sops_of_theirs = ok(&run_sops(&sops, d, "alice", &["decrypt", "theirs.yaml"]));
    let ours_of_theirs = ok(&ours(d, "alice")
        .args(["decrypt", "theirs.yaml"])
        .output()
        .unwrap());
    assert_eq!(sops_of_ours, sops_of_theirs);
    assert_eq!(ours_plain, sops_of_theirs);
    assert_eq!(ours_of_theirs, sops_of_theirs);
}

/// A binary-store file is encrypted without a scope rule; sops' updatekeys writes the
/// default `unencrypted_suffix` back, and so must ours.
#[test]
fn issue_15_updatekeys_on_a_binary_file_keeps_unencrypted_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let encrypted = fixtures().join("sops-3.11.0/cases/binary-basic/encrypted.bin");
    let plain =
        fs_err::read(fixtures().join("sops-3.11.0/cases/binary-basic/expected.bin")).unwrap();
    let start = fs_err::read_to_string(&encrypted).unwrap();
    assert!(
        !start.contains("unencrypted_suffix"),
        "the fixture has no rule"
    );
    write_config(d, &format!("{ALICE},{BOB}"));
    fs_err::write(d.join("ours.bin"), &start).unwrap();
    ok(&ours(d, "alice")
        .args(["updatekeys", "--yes", "ours.bin"])
        .output()
        .unwrap());
    let ours_text = fs_err::read_to_string(d.join("ours.bin")).unwrap();
    assert!(
        ours_text.contains("\t\t\"unencrypted_suffix\": \"_unencrypted\",\n\t\t\"version\""),
        "{ours_text}"
    );
    assert_eq!(
        ok(&ours(d, "bob")
            .args(["decrypt", "ours.bin"])
            .output()
            .unwrap()),
        plain
    );

    let Some(sops) = sops() else { return };
    assert_eq!(
        ok(&run_sops(&sops, d, "bob", &["decrypt", "ours.bin"])),
        plain
    );
    fs_err::write(d.join("theirs.bin"), &start).unwrap();
    ok(&run_sops(
        &sops,
        d,
        "alice",
        &["updatekeys", "-y", "theirs.bin"],
    ));
    let theirs_text = fs_err::read_to_string(d.join("theirs.bin")).unwrap();
    let metadata_keys = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("\t\t\"") && !l.starts_with("\t\t\t"))
            .map(|l| l.split('"').nth(1).unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(metadata_keys(&ours_text), metadata_keys(&theirs_text));
}
