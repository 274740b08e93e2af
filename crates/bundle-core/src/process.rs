//! Child processes that must not hang the caller: a command the user configured (a key
//! command, a password manager) runs in a process group of its own and gets a deadline.
//!
//! What must stay true: when the deadline passes, the whole group is killed (helpers the
//! command started included, so nothing is orphaned holding a pipe) and the child is reaped
//! before returning; the caller then reports the command as killed, never as succeeded.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Waits for `child` until `timeout`; `Ok(None)` when it had to be killed. `child` must lead
/// its own process group (spawned with `CommandExt::process_group(0)`): the group is killed
/// through the system's `kill` command, since the standard library signals one process
/// only, and then the child itself.
pub fn wait_with_deadline(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<Option<ExitStatus>> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if start.elapsed() >= timeout {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill")
                .args(["-KILL", "--", &group])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt as _;

    #[test]
    fn a_command_that_ends_in_time_gives_its_status() {
        let mut child = Command::new("sh")
            .args(["-c", "exit 3"])
            .process_group(0)
            .spawn()
            .unwrap();
        let status = wait_with_deadline(&mut child, Duration::from_secs(30)).unwrap();
        assert_eq!(status.and_then(|s| s.code()), Some(3));
    }

    #[test]
    fn a_hanging_command_and_its_children_are_killed_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        // The grandchild would outlive a kill of the shell alone.
        let script = format!("sleep 300 & echo $! > {}; wait", pid_file.display());
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .process_group(0)
            .spawn()
            .unwrap();
        while !pid_file.exists() || fs_err::read_to_string(&pid_file).unwrap().trim().is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
        let status = wait_with_deadline(&mut child, Duration::from_millis(200)).unwrap();
        assert!(status.is_none(), "the command was not reported as killed");
        let grandchild = fs_err::read_to_string(&pid_file).unwrap();
        let stat = std::path::Path::new("/proc")
            .join(grandchild.trim())
            .join("stat");
        // Gone, or a zombie waiting for its reaper: not running. The signal is delivered
        // asynchronously, so the state is polled for a while before concluding.
        let is_running = || {
            fs_err::read_to_string(&stat)
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, rest)| rest.trim_start().starts_with(['R', 'S', 'D']))
                })
                .unwrap_or(false)
        };
        let polled = std::time::Instant::now();
        let mut running = is_running();
        while running && polled.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
            running = is_running();
        }
        assert!(!running, "the command's child survived the deadline");
    }
}
