//! Crash tests: SIGKILL at every step of the publish protocol and of its recovery, and at
//! many random moments, then check what the README promises: the published files are the
//! complete old pair or the complete new pair unless a journal says a publish was cut short,
//! the next run repairs that, and no plaintext is left outside the two outputs.
//!
//! The deterministic halts use the debug-build hook of the binary
//! (`SECRETS_SYNC_TEST_HALT_AT=<step>`: print `halted at <step>` and sleep until killed).
#![allow(clippy::unwrap_used)]

// The helpers of the `it` binary; this file is a binary of its own (see tests/it/main.rs).
#[path = "it/common.rs"]
mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bundle_core::Format;
use bundle_core::sops::{EncryptSettings, encrypt_plaintext};
use bundle_core::store::EmitOptions;
use common::{World, assert_code, bundle};

const PUBLISH_STEPS: [&str; 7] = [
    "staged",
    "backed-up",
    "journaled",
    "env-published",
    "json-published",
    "committed",
    "cleaned",
];
const ALICE: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";

type Pair = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Runs a sync that halts at `step`, then SIGKILLs it. Returns false if the run finished
/// without reaching the step (it had nothing to publish).
fn kill_at(world: &World, bundle: &Path, step: &str) -> bool {
    let mut child = world
        .cmd()
        .arg("--bundle")
        .arg(bundle)
        .env("SECRETS_SYNC_TEST_HALT_AT", step)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    let halted = loop {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break false;
        }
        seen.push_str(&line);
        if line.trim_end() == format!("halted at {step}") {
            break true;
        }
    };
    if halted {
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(
        !seen.contains(common::CANARY) && !stdout.contains(common::CANARY),
        "the canary appeared in the output"
    );
    if !halted {
        assert!(status.success(), "the run failed before {step}: {seen}");
    }
    halted
}

fn journal(world: &World) -> bool {
    world.out().join(".secrets-sync.journal").exists()
}

/// Everything in the output directory is an output, the lock, the journal, or one of our
/// 0600 temp / second names; nothing with plaintext exists outside it.
#[track_caller]
fn assert_only_our_files(world: &World) {
    use std::os::unix::fs::PermissionsExt as _;
    for name in world.out_names() {
        let known = matches!(
            name.as_str(),
            ".env" | "console-secrets.json" | ".secrets-sync.lock" | ".secrets-sync.journal"
        ) || name.starts_with(".bundle-core-tmp.")
            || name.starts_with(".secrets-sync.prev.");
        assert!(known, "unexpected file {name} in the output directory");
        let mode = fs_err::symlink_metadata(world.out().join(&name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name} has mode {mode:o}");
    }
    let mut outside: Vec<String> = fs_err::read_dir(world.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    outside.sort();
    assert!(
        outside
            .iter()
            .all(|n| ["alice.agekey", "home", "a.enc.yaml", "b.enc.yaml"].contains(&n.as_str())),
        "{outside:?}"
    );
}

#[track_caller]
fn assert_consistent_unless_journaled(world: &World, allowed: &[&Pair]) {
    let pair = world.pair();
    if !journal(world) {
        assert!(
            allowed.contains(&&pair),
            "the pair is mixed or unknown and no journal says so"
        );
    }
}

/// A normal run repairs everything: the new pair, no leftovers, `--check` passes.
#[track_caller]
fn assert_repaired_by_next_run(world: &World, bundle: &Path, expected: &Pair) {
    let out = common::run(world.cmd().arg("--bundle").arg(bundle));
    assert_code(&out, 0);
    assert_eq!(&world.pair(), expected);
    assert_eq!(
        world.out_names(),
        [".env", ".secrets-sync.lock", "console-secrets.json"]
    );
    assert_code(
        &common::run(world.cmd().arg("--bundle").arg(bundle).arg("--check")),
        0,
    );
}

fn reference_pairs() -> (Pair, Pair) {
    let reference = World::new();
    assert_code(&reference.sync("secrets", &[]), 0);
    let v1 = reference.pair();
    assert_code(&reference.sync("secrets-v2", &[]), 0);
    (v1, reference.pair())
}

#[test]
fn sigkill_at_every_publish_step_then_recovery() {
    let (v1, v2) = reference_pairs();
    let none: Pair = (None, None);
    for with_old in [false, true] {
        for (i, step) in PUBLISH_STEPS.iter().enumerate() {
            let world = World::new();
            if with_old {
                assert_code(&world.sync("secrets", &[]), 0);
            }
            let old = if with_old { v1.clone() } else { none.clone() };
            assert!(
                kill_at(&world, &bundle("secrets-v2"), step),
                "{step}: the run did not reach the step"
            );
            assert_only_our_files(&world);
            let journaled = (2..=4).contains(&i);
            assert_eq!(journal(&world), journaled, "{step}");
            let pair = world.pair();
            match *step {
                "staged" | "backed-up" | "journaled" => assert_eq!(pair, old, "{step}"),
                "env-published" => assert_eq!(
                    pair,
                    (v2.0.clone(), old.1.clone()),
                    "{step}: only .env is new"
                ),
                _ => assert_eq!(pair, v2, "{step}"),
            }
            assert_consistent_unless_journaled(&world, &[&old, &v2]);

            // --check sees the interruption and the leftovers, and changes nothing.
            let check = common::run(
                world
                    .cmd()
                    .arg("--bundle")
                    .arg(bundle("secrets-v2"))
                    .arg("--check")
                    .arg("--json"),
            );
            // Clean only once committed, and (with an old pair) once its second names are gone.
            let clean = i >= 5 && (*step == "cleaned" || !with_old);
            let expected_code = i32::from(!clean);
            assert_eq!(
                common::code(&check),
                expected_code,
                "{step} (old pair: {with_old})"
            );
            let doc: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
            let ids: Vec<&str> = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap())
                .collect();
            assert_eq!(
                ids.contains(&"interrupted-publish"),
                journaled,
                "{step}: {ids:?}"
            );
            assert_eq!(world.pair(), pair, "{step}: --check changed the pair");

            // The next run recovers first: the old pair comes back unless the new one was
            // committed. Halt it right after its own staging to look at the recovered state.
            kill_at(&world, &bundle("secrets-v2"), "staged");
            let committed = i >= 5;
            assert_eq!(
                world.pair(),
                if committed { v2.clone() } else { old.clone() },
                "{step}: recovery"
            );
            assert!(!journal(&world), "{step}: recovery removes the journal");
            assert_only_our_files(&world);

            assert_repaired_by_next_run(&world, &bundle("secrets-v2"), &v2);
        }
    }
}

#[test]
fn sigkill_during_recovery_is_repaired_too() {
    let (v1, v2) = reference_pairs();
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    assert!(kill_at(&world, &bundle("secrets-v2"), "json-published"));
    assert_eq!(world.pair(), v2);
    assert!(journal(&world));
    // Killed after recovery put the old .env back but before the old JSON.
    assert!(kill_at(&world, &bundle("secrets-v2"), "rolled-back-env"));
    assert_eq!(world.pair(), (v1.0.clone(), v2.1.clone()));
    assert!(journal(&world), "a mixed pair is always journaled");
    // Killed after both are back, before the journal is removed.
    assert!(kill_at(&world, &bundle("secrets-v2"), "rolled-back-json"));
    assert_eq!(world.pair(), v1);
    assert!(journal(&world));
    assert_only_our_files(&world);
    // A sync of the old bundle now has nothing to publish after recovery.
    let out = common::run(
        world
            .cmd()
            .arg("--bundle")
            .arg(bundle("secrets"))
            .arg("--json"),
    );
    assert_code(&out, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["recovery"]["rolled_back"], true);
    assert_eq!(doc["files"][0]["status"], "unchanged");
    assert_eq!(world.pair(), v1);
    assert_repaired_by_next_run(&world, &bundle("secrets-v2"), &v2);
}

fn make_bundle(path: &Path, version: u32, values: usize) {
    use std::fmt::Write as _;
    let mut yaml = format!(
        "MCP_SECRETS_VERSION: {version}\ncanary: CANARY-7f3c9e1d-never-print-me-{version}\n"
    );
    for g in 0..50 {
        let _ = writeln!(yaml, "group_{g}:");
        for i in (g..values).step_by(50) {
            let _ = writeln!(yaml, "    key_{i}: value-{version}-{i} with space");
        }
    }
    let settings = EncryptSettings::for_recipients(vec![ALICE.to_owned()]);
    let file = encrypt_plaintext(
        path,
        Format::Yaml,
        yaml.as_bytes(),
        &settings,
        1_800_000_000,
    )
    .unwrap();
    file.write(path, EmitOptions::default()).unwrap();
}

#[test]
fn sigkill_at_random_moments_never_leaves_an_unjournaled_mixed_pair() {
    let world = World::new();
    let (a, b): (PathBuf, PathBuf) = (
        world.root().join("a.enc.yaml"),
        world.root().join("b.enc.yaml"),
    );
    make_bundle(&a, 1, 600);
    make_bundle(&b, 2, 600);
    let reference = World::new();
    let sync_ref = |path: &Path| {
        assert_code(&common::run(reference.cmd().arg("--bundle").arg(path)), 0);
        reference.pair()
    };
    let (pair_a, pair_b) = (sync_ref(&a), sync_ref(&b));

    // How long one run takes here, with a pause after each step to widen every window.
    let pause = "15";
    let timed = |path: &Path| {
        let start = Instant::now();
        let out = common::run(
            world
                .cmd()
                .arg("--bundle")
                .arg(path)
                .env("SECRETS_SYNC_TEST_PAUSE_MS", pause),
        );
        assert_code(&out, 0);
        start.elapsed()
    };
    timed(&a);
    let runtime = timed(&b).max(Duration::from_millis(5));

    let iterations = 40u32;
    let (mut mid_publish, mut killed) = (0, 0);
    for k in 0..iterations {
        let bundle = if k % 2 == 0 { &a } else { &b };
        let mut child = world
            .cmd()
            .arg("--bundle")
            .arg(bundle)
            .env("SECRETS_SYNC_TEST_PAUSE_MS", pause)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(runtime * k / iterations);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        let out = child.wait_with_output().unwrap();
        common::assert_no_canary(&out);
        assert_only_our_files(&world);
        let leftovers = world
            .out_names()
            .iter()
            .any(|n| n.starts_with(".bundle-core-tmp.") || n.starts_with(".secrets-sync.prev."));
        if journal(&world) || leftovers {
            mid_publish += 1;
        }
        assert_consistent_unless_journaled(&world, &[&(None, None), &pair_a, &pair_b]);
    }
    eprintln!(
        "random kills: {killed} of {iterations} runs killed, {mid_publish} inside a publish (runtime {runtime:?})"
    );
    assert!(
        killed >= iterations / 4,
        "only {killed} runs were killed: the timing is off"
    );
    assert!(
        mid_publish > 0,
        "no kill landed inside a publish: the test did not exercise the protocol"
    );
    assert_repaired_by_next_run(&world, &b, &pair_b);
}
