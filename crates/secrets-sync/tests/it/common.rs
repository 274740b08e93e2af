//! Shared helpers of the end-to-end tests: a scrubbed environment per test, the fixture
//! bundles, and the canary check every run goes through.
#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Part of the canary secret of every fixture bundle: no stdout or stderr may contain it.
pub const CANARY: &str = "7f3c9e1d";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A fixture bundle made by sops (`tests/fixtures/make-fixtures.sh`).
pub fn bundle(name: &str) -> PathBuf {
    fixtures().join("bundles").join(format!("{name}.enc.yaml"))
}

pub fn key_text(name: &str) -> String {
    fs_err::read_to_string(fixtures().join(format!("keys/{name}.agekey"))).unwrap()
}

pub fn bin() -> PathBuf {
    PathBuf::from(assert_cmd::cargo::cargo_bin!("secrets-sync"))
}

/// One test's world: a temp dir with a home, a copy of alice's key, and the output dir
/// `<home>/.mcp`.
pub struct World {
    pub tmp: tempfile::TempDir,
}

impl World {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::create_dir(tmp.path().join("home")).unwrap();
        fs_err::write(tmp.path().join("alice.agekey"), key_text("alice")).unwrap();
        Self { tmp }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    pub fn key_file(&self) -> PathBuf {
        self.root().join("alice.agekey")
    }

    pub fn out(&self) -> PathBuf {
        self.home().join(".mcp")
    }

    pub fn env_file(&self) -> PathBuf {
        self.out().join(".env")
    }

    pub fn json_file(&self) -> PathBuf {
        self.out().join("console-secrets.json")
    }

    /// The binary with a scrubbed environment: `PATH`, `HOME` and `SOPS_AGE_KEY_FILE` only.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(bin());
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("SOPS_AGE_KEY_FILE", self.key_file())
            .current_dir(self.root());
        cmd
    }

    /// `secrets-sync --bundle <fixture>` plus `args`, run to completion.
    pub fn sync(&self, name: &str, args: &[&str]) -> Output {
        run(self.cmd().arg("--bundle").arg(bundle(name)).args(args))
    }

    /// The two published files (`None` when absent).
    pub fn pair(&self) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        (
            fs_err::read(self.env_file()).ok(),
            fs_err::read(self.json_file()).ok(),
        )
    }

    /// Names in the output directory, sorted.
    pub fn out_names(&self) -> Vec<String> {
        let mut names: Vec<String> = match fs_err::read_dir(self.out()) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }
}

/// Runs a command and asserts the canary is in neither stream.
#[track_caller]
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert_no_canary(&out);
    out
}

#[track_caller]
pub fn assert_no_canary(out: &Output) {
    for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(stream);
        assert!(
            !text.contains(CANARY),
            "the canary secret appeared on {name}"
        );
    }
}

#[track_caller]
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("the process exited normally")
}

#[track_caller]
pub fn assert_code(out: &Output, expected: i32) {
    assert_eq!(
        code(out),
        expected,
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exit status, stdout and stderr in one block, temp paths and fixture paths filtered.
pub fn transcript(out: &Output, world: &World) -> String {
    test_support::Transcript::of(out)
        .redact(world.root(), "[TMP]")
        .redact(&fixtures(), "[FIXTURES]")
        .to_string()
}

/// Sources a `.env` with a POSIX shell (`set -a; . FILE`) and returns the given variables.
pub fn source_env(shell: &str, env_file: &Path, names: &[String]) -> BTreeMap<String, String> {
    let out = Command::new(shell)
        .env_clear()
        .arg("-c")
        .arg(r#"set -a; . "$1"; exec env -0"#)
        .arg(shell)
        .arg(env_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell} could not source the .env: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut vars = BTreeMap::new();
    for entry in out.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8(entry.to_vec()).unwrap();
        let (name, value) = entry.split_once('=').unwrap();
        if names.iter().any(|n| n == name) {
            vars.insert(name.to_owned(), value.to_owned());
        }
    }
    vars
}

/// The flattening rule, written independently of the crate, applied to a JSON document:
/// the expected variables of `.env`, in document order.
pub fn flatten_json(doc: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(name: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
        let join = |part: &str| {
            if name.is_empty() {
                part.to_owned()
            } else {
                format!("{name}_{part}")
            }
        };
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    walk(&join(&k.to_uppercase().replace(['-', '.'], "_")), v, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&join(&i.to_string()), v, out);
                }
            }
            serde_json::Value::Null => out.push((name.to_owned(), String::new())),
            serde_json::Value::String(s) => out.push((name.to_owned(), s.clone())),
            other => out.push((name.to_owned(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    walk("", doc, &mut out);
    out
}
