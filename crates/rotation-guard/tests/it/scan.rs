//! `rotation-guard scan-leaks` end to end: values planted in the tree, in an old commit, in a
//! deleted branch, in a blob no commit holds, base64-encoded, in an ignored file; and no
//! false positive on the encrypted bundle itself.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use base64::Engine as _;

fn scan(repo: &Repo, extra: &[&str]) -> (i32, serde_json::Value, String) {
    scan_with(repo, &repo.old_identity(), extra)
}

fn scan_with(
    repo: &Repo,
    identity: &std::path::Path,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["scan-leaks", "--json", "--progress", "never", "--repo"])
        .arg(repo.root())
        .arg("--identity")
        .arg(identity)
        .args(extra)
        .output()
        .unwrap();
    assert_no_canary(&output);
    assert_no_long_canary(&output);
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", transcript(&output)));
    (
        output.status.code().unwrap(),
        json,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn findings(json: &serde_json::Value) -> Vec<serde_json::Value> {
    json["findings"].as_array().unwrap().clone()
}

#[test]
fn no_false_positive_on_the_bundle_and_its_history() {
    let repo = Repo::new();
    repo.rotate(&Rotation {
        set: vec![],
        ..Rotation::scheduled()
    });
    repo.commit("rotation");
    // The new bundle is encrypted to the new key.
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args([
            "scan-leaks",
            "--json",
            "--history",
            "--progress",
            "never",
            "--repo",
        ])
        .arg(repo.root())
        .arg("--identity")
        .arg(repo.new_identity())
        .output()
        .unwrap();
    assert_no_canary(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings(&json), Vec::<serde_json::Value>::new(), "{json:#}");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json["secrets"], 3);
    assert_eq!(
        json["not_searched"],
        serde_json::json!(["db.host_port", "api.pin"])
    );
    assert!(json["scanned"]["blobs"].as_u64().unwrap() >= 6, "{json:#}");
}

#[test]
fn finds_a_value_in_the_tree_in_each_encoding() {
    let repo = Repo::new();
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("admin:{AWS_SECRET}"));
    repo.write("deploy/values.yaml", &format!("image: app\nauth: {b64}\n"));
    let url: String = API_TOKEN
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    repo.write(
        "docs/howto.md",
        &format!("# How to\n\ncurl 'https://api.example.invalid/?token={url}'\n"),
    );
    repo.write(
        "app/config.json",
        &format!(
            "{{\n  \"token\": {}\n}}\n",
            serde_json::to_string(API_TOKEN).unwrap()
        ),
    );
    repo.write(
        "notes.txt",
        &format!("line one\nthe password is {DB_PASSWORD}.\n"),
    );
    let (code, json, _) = scan(&repo, &[]);
    assert_eq!(code, 1);
    let got: Vec<(String, u64, String, String)> = findings(&json)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["key"].as_str().unwrap().to_owned(),
                f["encoding"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("app/config.json", 2, "api.token", "json"),
        ("deploy/values.yaml", 2, "aws_secret_access_key", "base64"),
        ("docs/howto.md", 3, "api.token", "url"),
        ("notes.txt", 2, "db.password", "raw"),
    ];
    let expected: Vec<(String, u64, String, String)> = expected
        .iter()
        .map(|(a, b, c, d)| ((*a).to_owned(), *b, (*c).to_owned(), (*d).to_owned()))
        .collect();
    assert_eq!(got, expected);
    assert!(
        findings(&json)
            .iter()
            .all(|f| f["source"] == "tree" && f["fingerprint"].as_str().unwrap().len() == 12)
    );
}

#[test]
fn an_ignored_file_is_scanned_only_with_include_ignored() {
    let repo = Repo::new();
    repo.write(".env", &format!("DB_PASSWORD={DB_PASSWORD}\n"));
    let (code, json, _) = scan(&repo, &[]);
    assert_eq!((code, findings(&json).len()), (0, 0), "{json:#}");
    let (code, json, _) = scan(&repo, &["--include-ignored"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json)[0]["file"], ".env");
}

#[test]
fn finds_values_in_an_old_commit_a_deleted_branch_and_a_dangling_blob() {
    let repo = Repo::new();
    repo.write("notes/leak.txt", &format!("first\nsecond\n{DB_PASSWORD}\n"));
    repo.commit("oops");
    let oops = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    fs_err::remove_file(repo.path("notes/leak.txt")).unwrap();
    repo.commit("remove the leak");

    repo.git(&["checkout", "-q", "-b", "experiment"]);
    repo.write(
        "tmp/dump.json",
        &format!(
            "{{\"token\": {}}}\n",
            serde_json::to_string(API_TOKEN).unwrap()
        ),
    );
    repo.commit("experiment");
    let experiment = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "experiment"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);

    repo.write("staged.txt", &format!("{AWS_SECRET}\n"));
    let dangling = repo
        .git(&["hash-object", "-w", "staged.txt"])
        .trim()
        .to_owned();
    fs_err::remove_file(repo.path("staged.txt")).unwrap();

    let (code, json, _) = scan(&repo, &[]);
    assert_eq!(
        (code, findings(&json).len()),
        (0, 0),
        "the working tree is clean: {json:#}"
    );
    let (code, json, _) = scan(&repo, &["--history"]);
    assert_eq!(code, 1);
    let found = findings(&json);
    assert_eq!(found.len(), 3, "{json:#}");
    let by_key = |key: &str| found.iter().find(|f| f["key"] == key).unwrap().clone();
    let old = by_key("db.password");
    assert_eq!(
        (
            old["commit"].as_str(),
            old["path"].as_str(),
            old["line"].as_u64()
        ),
        (Some(oops.as_str()), Some("notes/leak.txt"), Some(3))
    );
    assert_eq!(
        (old["reachable"].as_bool(), old["commits"].as_u64()),
        (Some(true), Some(1))
    );
    let branch = by_key("api.token");
    assert_eq!(
        (branch["commit"].as_str(), branch["path"].as_str()),
        (Some(experiment.as_str()), Some("tmp/dump.json"))
    );
    assert_eq!(branch["reachable"], false);
    let blob = by_key("aws_secret_access_key");
    assert_eq!(
        (
            blob["blob"].as_str(),
            blob["commit"].is_null(),
            blob["commits"].as_u64()
        ),
        (Some(dangling.as_str()), true, Some(0))
    );
}

#[test]
fn text_output_names_places_never_values() {
    let repo = Repo::new();
    repo.write("notes.txt", &format!("{DB_PASSWORD}\n"));
    // Issue 12: a value in a path name, a commit message and a tag message.
    repo.write(&format!("keys/{DB_PASSWORD}.txt"), "nothing here\n");
    repo.commit(&format!("leak\n\nthe token is {API_TOKEN}"));
    repo.git(&["tag", "-a", "v1", "-m", &format!("release\n{AWS_SECRET}")]);
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["scan-leaks", "--history", "--progress", "never", "--repo"])
        .arg(repo.root())
        .arg("--identity")
        .arg(repo.old_identity())
        .output()
        .unwrap();
    assert_no_canary(&output);
    insta::with_settings!({filters => vec![
        (r"fingerprint [0-9a-f]{12}", "fingerprint [FP]"),
        (r"history [0-9a-f]{12}", "history [COMMIT]"),
        (r"history path name [0-9a-f]{12}", "history path name [COMMIT]"),
        (r"commit [0-9a-f]{12}", "commit [COMMIT]"),
        (r"object [0-9a-f]{12}", "object [TAG]"),
        (r"blob [0-9a-f]{12}", "blob [BLOB]"),
        (r"\d+\.\d KiB|\d+ B", "[SIZE]"),
    ]}, {
        insta::assert_snapshot!(transcript(&output));
    });
}

#[test]
fn a_plain_directory_is_walked_honouring_gitignore() {
    let repo = Repo::new();
    fs_err::remove_dir_all(repo.path(".git")).unwrap();
    repo.write("a/leak.txt", &format!("{DB_PASSWORD}\n"));
    repo.write("ignored.env", &format!("{DB_PASSWORD}\n"));
    repo.write(".gitignore", "*.env\n");
    let (code, json, _) = scan(&repo, &[]);
    assert_eq!(code, 1);
    let files: Vec<String> = findings(&json)
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(files, ["a/leak.txt"]);
}

#[test]
fn without_a_key_it_is_a_key_error() {
    let repo = Repo::new();
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["scan-leaks", "--repo"])
        .arg(repo.root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", transcript(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no age identity found"));
    let wrong = rotation_guard(home.path())
        .args(["scan-leaks", "--repo"])
        .arg(repo.root())
        .arg("--identity")
        .arg(repo.new_identity())
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(3), "{}", transcript(&wrong));
}

#[test]
fn exclude_key_skips_a_value() {
    let repo = Repo::new();
    repo.write("notes.txt", &format!("{DB_PASSWORD}\n"));
    let (code, json, _) = scan(&repo, &["--exclude-key", "db.password"]);
    assert_eq!(
        (code, findings(&json).len(), json["secrets"].as_u64()),
        (0, 0, Some(2))
    );
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["scan-leaks", "--exclude-key", "db.nope", "--repo"])
        .arg(repo.root())
        .arg("--identity")
        .arg(repo.old_identity())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// A 100-byte value: its base64 is longer than one wrapped line.
const LONG_SECRET: &str = "long-canary-7Qm2Xv9Lp4Rt8Wz1Kc6Hn3Bd5Fs0Gj-long-canary-7Qm2Xv9Lp4Rt8Wz1Kc6Hn3Bd5Fs0Gj-long-canary-01";

/// Panics when the long canary, or the start of its base64, was printed.
fn assert_no_long_canary(output: &std::process::Output) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(LONG_SECRET);
    for bytes in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(&LONG_SECRET[..20]), "{text}");
        assert!(!text.contains(&b64[..16]), "{text}");
    }
}

/// `base64 -w <columns>` of `input`, by the coreutils tool itself.
fn wrapped_base64(input: &[u8], columns: &str) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new("base64")
        .args(["-w", columns])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn issue_12_wrapped_base64_is_found_in_the_tree_and_the_history() {
    assert_eq!(LONG_SECRET.len(), 100);
    let repo = Repo::new();
    repo.rotate(&Rotation {
        set: vec![("api.token", LONG_SECRET)],
        ..Rotation::scheduled()
    });
    repo.commit("rotation");
    // `base64` wraps at 76 columns; `openssl base64` (and PEM) at 64.
    let at76 = wrapped_base64(LONG_SECRET.as_bytes(), "76");
    assert!(at76.lines().count() > 1 && at76.lines().next().unwrap().len() == 76);
    repo.write("certs/a.b64", &format!("payload:\n{at76}"));
    let at64 = wrapped_base64(format!("key={LONG_SECRET}").as_bytes(), "64").replace('\n', "\r\n");
    repo.write("certs/b.b64", &format!("# exported\r\n\r\n{at64}"));
    repo.commit("add exports");
    let (code, json, _) = scan_with(&repo, &repo.new_identity(), &["--history"]);
    assert_eq!(code, 1, "{json:#}");
    let got: Vec<(String, String, u64, String)> = findings(&json)
        .iter()
        .map(|f| {
            (
                f["source"].as_str().unwrap().to_owned(),
                f["file"]
                    .as_str()
                    .or(f["path"].as_str())
                    .unwrap()
                    .to_owned(),
                f["line"].as_u64().unwrap(),
                format!(
                    "{}/{}",
                    f["key"].as_str().unwrap(),
                    f["encoding"].as_str().unwrap()
                ),
            )
        })
        .collect();
    let expected: Vec<(String, String, u64, String)> = [
        ("tree", "certs/a.b64", 2),
        ("tree", "certs/b.b64", 3),
        ("history", "certs/a.b64", 2),
        ("history", "certs/b.b64", 3),
    ]
    .iter()
    .map(|(s, f, l)| {
        (
            (*s).to_owned(),
            (*f).to_owned(),
            *l,
            "api.token/base64".to_owned(),
        )
    })
    .collect();
    let mut got = got;
    got.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(got, expected, "{json:#}");
}

#[test]
fn issue_12_commit_and_tag_messages_and_path_names_are_searched() {
    let repo = Repo::new();
    // A path name that is a secret, committed then deleted: only the history has it. Its
    // content leaks another value: that finding's path must be redacted too.
    repo.write(
        &format!("config/{DB_PASSWORD}"),
        &format!("x\n{API_TOKEN}\n"),
    );
    repo.commit("add a file");
    let added = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    fs_err::remove_file(repo.path(&format!("config/{DB_PASSWORD}"))).unwrap();
    repo.commit(&format!("remove it\n\nold password was {DB_PASSWORD}"));
    let message = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.git(&[
        "tag",
        "-a",
        "v1",
        "-m",
        &format!("release\n\naws {AWS_SECRET}"),
    ]);
    let tag = repo.git(&["rev-parse", "v1"]).trim().to_owned();
    let (code, json, _) = scan(&repo, &["--history"]);
    assert_eq!(code, 1);
    let found = findings(&json);
    let of = |source: &str| -> Vec<serde_json::Value> {
        found
            .iter()
            .filter(|f| f["source"] == source)
            .cloned()
            .collect()
    };
    let paths = of("history-path");
    assert_eq!(paths.len(), 1, "{json:#}");
    assert_eq!(
        (
            paths[0]["commit"].as_str(),
            paths[0]["path"].as_str(),
            paths[0]["key"].as_str(),
            paths[0]["reachable"].as_bool()
        ),
        (
            Some(added.as_str()),
            Some("config/[REDACTED:db.password]"),
            Some("db.password"),
            Some(true)
        )
    );
    let blobs = of("history");
    assert_eq!(blobs.len(), 1, "{json:#}");
    assert_eq!(
        (
            blobs[0]["path"].as_str(),
            blobs[0]["key"].as_str(),
            blobs[0]["line"].as_u64()
        ),
        (
            Some("config/[REDACTED:db.password]"),
            Some("api.token"),
            Some(2)
        )
    );
    let commits = of("commit");
    assert_eq!(commits.len(), 1, "{json:#}");
    assert_eq!(
        (
            commits[0]["commit"].as_str(),
            commits[0]["key"].as_str(),
            commits[0]["reachable"].as_bool()
        ),
        (Some(message.as_str()), Some("db.password"), Some(true))
    );
    let tags = of("tag");
    assert_eq!(tags.len(), 1, "{json:#}");
    assert_eq!(
        (
            tags[0]["object"].as_str(),
            tags[0]["name"].as_str(),
            tags[0]["key"].as_str(),
            tags[0]["line"].as_u64()
        ),
        (
            Some(tag.as_str()),
            Some("v1"),
            Some("aws_secret_access_key"),
            Some(8)
        )
    );
}

#[test]
fn issue_12_history_of_a_shallow_or_partial_clone_is_refused() {
    let repo = Repo::new();
    repo.write("notes.txt", "nothing\n");
    repo.commit("second");
    repo.git(&["config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", repo.root().display());
    let clones = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("shallow", &["--depth", "1"][..]),
        ("partial", &["--filter=blob:none"][..]),
    ] {
        let mut clone_args = vec!["clone", "-q"];
        clone_args.extend_from_slice(args);
        clone_args.push(&url);
        clone_args.push(name);
        git(clones.path(), &clone_args);
        let clone = clones.path().join(name);
        let run = |extra: &[&str]| {
            rotation_guard(home.path())
                .args(["scan-leaks", "--progress", "never", "--repo"])
                .arg(&clone)
                .arg("--identity")
                .arg(repo.old_identity())
                .args(extra)
                .output()
                .unwrap()
        };
        let output = run(&["--history"]);
        insta::assert_snapshot!(format!("issue_12_{name}_clone"), transcript(&output));
        // Without --history the working tree is still checked.
        let output = run(&[]);
        assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    }
}

#[test]
fn issue_12_path_names_in_the_working_tree_are_searched_and_redacted() {
    let repo = Repo::new();
    // In the working tree (untracked): a secret in a directory name, and content in it.
    repo.write(&format!("dump/{AWS_SECRET}/x.txt"), "harmless\n");
    repo.write(
        &format!("dump/{DB_PASSWORD}.env.txt"),
        &format!("{DB_PASSWORD}\n"),
    );

    let (code, json, _) = scan(&repo, &[]);
    assert_eq!(code, 1);
    let tree: Vec<(String, Option<u64>, String)> = findings(&json)
        .iter()
        .map(|f| {
            (
                format!(
                    "{}:{}",
                    f["source"].as_str().unwrap(),
                    f["file"].as_str().unwrap()
                ),
                f["line"].as_u64(),
                f["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        tree,
        [
            (
                "tree:dump/[REDACTED:db.password].env.txt".to_owned(),
                Some(1),
                "db.password".to_owned()
            ),
            (
                "path:dump/[REDACTED:aws_secret_access_key]/x.txt".to_owned(),
                None,
                "aws_secret_access_key".to_owned()
            ),
            (
                "path:dump/[REDACTED:db.password].env.txt".to_owned(),
                None,
                "db.password".to_owned()
            ),
        ],
        "{json:#}"
    );
}

/// Issue 13, the pre-commit hook: `--staged` reads what is being committed (the index's
/// blobs), not the working tree. A leak staged then edited away in the working tree is
/// found; a leak only in the working tree (unstaged edit, untracked file) or in a file
/// committed earlier and not changed is not; the place names the staged blob.
#[test]
fn issue_13_staged_reads_the_index_not_the_working_tree() {
    let repo = Repo::new();
    // Committed earlier, unchanged: not part of this commit.
    repo.write("old/leak.txt", &format!("{DB_PASSWORD}\n"));
    repo.commit("an old leak");
    // Staged with the value, then cleaned in the working tree only.
    repo.write(
        "app/settings.py",
        &format!("TOKEN = 1\nPASSWORD = '{DB_PASSWORD}'\n"),
    );
    repo.git(&["add", "app/settings.py"]);
    repo.write(
        "app/settings.py",
        "TOKEN = 1\nPASSWORD = os.environ['PW']\n",
    );
    // Staged clean, then given a value in the working tree only.
    repo.write("app/clean.py", "print('ok')\n");
    repo.git(&["add", "app/clean.py"]);
    repo.write("app/clean.py", &format!("print('{AWS_SECRET}')\n"));
    // Untracked, not staged.
    repo.write("scratch.txt", &format!("{AWS_SECRET}\n"));

    let (code, json, _) = scan(&repo, &["--staged"]);
    assert_eq!(code, 1, "{json:#}");
    let got: Vec<(String, String, u64, String)> = findings(&json)
        .iter()
        .map(|f| {
            (
                f["source"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(
            "staged".to_owned(),
            "app/settings.py".to_owned(),
            2,
            "db.password".to_owned()
        )]
    );
    let blob = repo.git(&["rev-parse", ":app/settings.py"]);
    assert_eq!(findings(&json)[0]["blob"], blob.trim());
    assert_eq!(json["scanned"]["files"], 2, "{json:#}");

    // The whole-tree scan (the hook's old behaviour) sees the working tree instead.
    let (_, json, _) = scan(&repo, &[]);
    let files: Vec<String> = findings(&json)
        .iter()
        .filter_map(|f| f["file"].as_str().map(str::to_owned))
        .collect();
    assert!(!files.iter().any(|f| f == "app/settings.py"), "{files:?}");
    assert!(files.iter().any(|f| f == "scratch.txt"), "{files:?}");

    // Once the clean version is staged, nothing staged leaks (the old commit's file and the
    // working tree's edits are not this commit's).
    repo.git(&["add", "app/settings.py"]);
    repo.git(&["reset", "-q", "app/clean.py"]);
    let (code, json, _) = scan(&repo, &["--staged"]);
    assert_eq!((code, findings(&json).len()), (0, 0), "{json:#}");
}

/// `--staged` on the first commit of a repository (no HEAD yet): every staged file counts;
/// a staged symbolic link is not read as content; the text output names the staged place.
#[test]
fn issue_13_staged_on_an_unborn_branch_and_in_text() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    // A fresh repository holding a copy of the bundle (and the same key).
    let fresh = dir.path().join("fresh");
    fs_err::create_dir_all(fresh.join("config")).unwrap();
    fs_err::copy(repo.path(BUNDLE), fresh.join(BUNDLE)).unwrap();
    let git = |args: &[&str]| test_support::git(&fresh, args);
    git(&["init", "-q", "-b", "main"]);
    fs_err::write(fresh.join("leak.txt"), format!("x\n{DB_PASSWORD}\n")).unwrap();
    std::os::unix::fs::symlink(DB_PASSWORD, fresh.join("link")).unwrap();
    git(&["add", "-A"]);
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["scan-leaks", "--staged", "--progress", "never", "--repo"])
        .arg(&fresh)
        .arg("--identity")
        .arg(repo.old_identity())
        .output()
        .unwrap();
    assert_no_canary(&output);
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let leaks: Vec<&str> = text.lines().filter(|l| l.starts_with("LEAK ")).collect();
    assert_eq!(leaks.len(), 1, "{text}");
    assert!(
        leaks[0].starts_with("LEAK staged leak.txt:2 (blob "),
        "{text}"
    );

    // Outside git, --staged has nothing to read: a usage error.
    let plain = dir.path().join("plain");
    fs_err::create_dir_all(plain.join("config")).unwrap();
    fs_err::copy(repo.path(BUNDLE), plain.join(BUNDLE)).unwrap();
    let output = rotation_guard(home.path())
        .args(["scan-leaks", "--staged", "--repo"])
        .arg(&plain)
        .arg("--identity")
        .arg(repo.old_identity())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--staged"));
}
