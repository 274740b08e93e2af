//! BUNDLE-007: the bundle was rewritten (rotated) within the policy's maximum age.
//!
//! `lastmodified` is updated by every sops write and is bound to the MAC, so it cannot be
//! refreshed without re-encrypting. Older than `warn_age_days` warns; older than
//! `max_age_days` fails. "Now" is `SOURCE_DATE_EPOCH` when set, else the clock.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_bundle};
use crate::bundle;
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "BUNDLE-007",
    title: "Bundle rotated within the maximum age",
    severity: Severity::Medium,
    run,
};

const DAY: i64 = 86_400;

fn run(cx: &Context) -> Outcome {
    with_bundle(cx, |view| {
        let line = bundle::line_of(&view.text, ["sops", "lastmodified"]);
        let Some(modified) = bundle_core::time::parse_rfc3339(&view.lastmodified) else {
            let note = format!(
                "lastmodified `{}` is not an RFC 3339 time",
                view.lastmodified
            );
            return Outcome::fail(note.clone(), vec![at(&view.path, line, note)]);
        };
        let policy = &cx.policy.bundle;
        let due = modified + i64::from(policy.max_age_days) * DAY;
        let due_text = bundle_core::time::format_rfc3339(due);
        let age_days = (cx.now.unix() - modified).div_euclid(DAY);
        if age_days > i64::from(policy.max_age_days) {
            let note = format!(
                "last rotation {} is older than {} days (was due by {due_text})",
                view.lastmodified, policy.max_age_days
            );
            Outcome::fail(note.clone(), vec![at(&view.path, line, note)])
        } else if age_days > i64::from(policy.warn_age_days) {
            let note = format!(
                "last rotation {}: rotation due by {due_text}",
                view.lastmodified
            );
            Outcome::warn(note.clone(), vec![at(&view.path, line, note)])
        } else {
            Outcome::pass(format!(
                "last rotation {}; next due by {due_text}",
                view.lastmodified
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::context::Context;
    use crate::controls::testkit::{NOW, Repo, assert_fail_at, assert_pass};

    fn run_at(repo: &Repo, now: i64) -> crate::controls::Outcome {
        let now = bundle_core::time::Timestamp::from_unix(now).unwrap();
        let cx = Context::new(repo.root().to_owned(), repo.policy.clone(), now);
        super::run(&cx)
    }

    #[test]
    fn passes_within_the_age() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("BUNDLE-007")),
            "last rotation 2026-11-29T05:41:11Z; next due by 2027-02-27T05:41:11Z"
        );
    }

    #[test]
    fn warns_then_fails_as_the_bundle_ages() {
        let repo = Repo::compliant();
        assert_eq!(run_at(&repo, NOW + 80 * super::DAY).status, Status::Warn);
        let outcome = run_at(&repo, NOW + 91 * super::DAY);
        assert_fail_at(&outcome, "config/secrets.enc.yaml", Some(22));
        assert!(
            outcome.message.contains("older than 90 days"),
            "{}",
            outcome.message
        );
    }
}
