//! Tests of the entry: canonical bytes and hashes, stable ids, the field rules.

use std::path::{Path, PathBuf};

use super::*;

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn scheduled() -> Execution {
    let mut e = Execution::new(Kind::Scheduled, at("2025-01-10T12:00:00Z"));
    e.reason = Some("rotação trimestral".into());
    e.responsible = vec!["Ana".into()];
    e.version_from = Some(3);
    e.version_to = Some(4);
    e.id = e.stable_id();
    e
}

#[test]
fn canonical_bytes_are_pinned() {
    let mut execution = scheduled();
    execution.written_at = Some(at("2025-01-10T12:00:05Z"));
    execution.artifacts.push(Artifact {
        path: "artifacts/scheduled-v4/gitleaks-post-rotation.json".into(),
        sha256: "a".repeat(64),
    });
    execution.checklist = vec![
        CheckItem::done(
            "gitleaks",
            Proof::Artifact {
                path: "artifacts/scheduled-v4/gitleaks-post-rotation.json".into(),
                sha256: "a".repeat(64),
            },
        ),
        CheckItem::skipped("ci", "nenhum link de CI"),
    ];
    execution.check_fields().unwrap();
    let entry = Entry::seal(1, execution, GENESIS_HASH);
    let text = String::from_utf8(entry.canonical_bytes()).unwrap();
    let sha = "a".repeat(64);
    assert_eq!(
        text,
        format!(
            "{{\"schema_version\":2,\"seq\":1,\"id\":\"scheduled-v4\",\"kind\":\"scheduled\",\
             \"recorded_at\":\"2025-01-10T12:00:00Z\",\"written_at\":\"2025-01-10T12:00:05Z\",\
             \"reason\":\"rotação trimestral\",\
             \"responsible\":[\"Ana\"],\"incident\":null,\"version_from\":3,\"version_to\":4,\
             \"window_start\":null,\"message\":null,\"links\":[],\
             \"artifacts\":[{{\"path\":\"artifacts/scheduled-v4/gitleaks-post-rotation.json\",\"sha256\":\"{sha}\"}}],\
             \"checklist\":[{{\"id\":\"gitleaks\",\"status\":\"done\",\"proof\":{{\"type\":\"artifact\",\
             \"path\":\"artifacts/scheduled-v4/gitleaks-post-rotation.json\",\"sha256\":\"{sha}\"}},\"reason\":null}},\
             {{\"id\":\"ci\",\"status\":\"skipped\",\"proof\":null,\"reason\":\"nenhum link de CI\"}}],\
             \"prev\":\"{GENESIS_HASH}\"}}"
        )
    );
    assert_eq!(entry.hash, sha256_hex(text.as_bytes()));
    let back = Entry::from_line(&entry.to_line()).unwrap();
    assert_eq!(back, entry);
}

/// Issue 12: lines written before checklists (schema 1) keep their bytes and their hash.
#[test]
fn schema_1_lines_still_read_and_hash_as_written() {
    let v1 = format!(
        "{{\"schema_version\":1,\"seq\":1,\"id\":\"scheduled-v4\",\"kind\":\"scheduled\",\
         \"recorded_at\":\"2025-01-10T12:00:00Z\",\"reason\":\"rotação trimestral\",\
         \"responsible\":[\"Ana\"],\"incident\":null,\"version_from\":3,\"version_to\":4,\
         \"window_start\":null,\"message\":null,\"links\":[],\"artifacts\":[],\"prev\":\"{GENESIS_HASH}\"}}"
    );
    let hash = sha256_hex(v1.as_bytes());
    let line = format!("{},\"hash\":\"{hash}\"}}", &v1[..v1.len() - 1]);
    let entry = Entry::from_line(&line).unwrap();
    assert_eq!(entry.schema_version, 1);
    assert_eq!(entry.execution.written_at, None);
    assert!(entry.execution.checklist.is_empty());
    assert_eq!(entry.compute_hash(), hash);
    assert_eq!(entry.to_line(), line);
    // A schema 1 line cannot carry the new fields, nor a schema 2 line drop them.
    let smuggled = line.replace("\"artifacts\":[],", "\"artifacts\":[],\"checklist\":[],");
    assert!(matches!(
        Entry::from_line(&smuggled),
        Err(LineError::Shape(_))
    ));
    let v2_without = line.replace("\"schema_version\":1", "\"schema_version\":2");
    assert!(matches!(
        Entry::from_line(&v2_without),
        Err(LineError::Shape(_))
    ));
}

#[test]
fn checklist_items_need_their_proof_or_reason() {
    let mut e = scheduled();
    e.checklist = vec![CheckItem::done(
        "gitleaks",
        Proof::Artifact {
            path: "artifacts/scheduled-v4/gitleaks-post-rotation.json".into(),
            sha256: "b".repeat(64),
        },
    )];
    // The file is not attached: no tick.
    assert!(matches!(
        e.check_fields(),
        Err(FieldError::InvalidItem { ref id, .. }) if id == "gitleaks"
    ));
    e.artifacts.push(Artifact {
        path: "artifacts/scheduled-v4/gitleaks-post-rotation.json".into(),
        sha256: "b".repeat(64),
    });
    e.check_fields().unwrap();
    // A done item without a proof, a skipped one without a reason, a repeated id.
    let mut bare = CheckItem::skipped("ci", "x");
    bare.status = ItemStatus::Done;
    e.checklist.push(bare);
    assert!(matches!(
        e.check_fields(),
        Err(FieldError::InvalidItem { .. })
    ));
    e.checklist.pop();
    let mut silent = CheckItem::skipped("ci", "x");
    silent.reason = None;
    e.checklist.push(silent);
    assert!(matches!(
        e.check_fields(),
        Err(FieldError::InvalidItem { .. })
    ));
    e.checklist.pop();
    e.checklist
        .push(CheckItem::skipped("gitleaks", "gitleaks não instalado"));
    assert!(matches!(
        e.check_fields(),
        Err(FieldError::InvalidItem { .. })
    ));
    // Plans and comms carry no checklist.
    let mut plan = Execution::new(Kind::Plan, at("2025-01-08T12:00:00Z"));
    plan.reason = Some("x".into());
    plan.responsible = vec!["Ana".into()];
    plan.window_start = Some(at("2025-01-10T12:00:00Z"));
    plan.id = plan.stable_id();
    plan.checklist.push(CheckItem::skipped("ci", "x"));
    assert!(matches!(
        plan.check_fields(),
        Err(FieldError::ChecklistNotAllowed { .. })
    ));
}

/// Issue 12: the notice of a plan counts from when it was written, not what it claims.
#[test]
fn plan_notice_counts_from_written_at() {
    let mut plan = Execution::new(Kind::Plan, at("2025-01-08T12:00:00Z"));
    plan.window_start = Some(at("2025-01-10T12:00:00Z"));
    assert_eq!(plan.notice_seconds(), Some(48 * 3600));
    plan.written_at = Some(at("2025-01-10T11:59:00Z"));
    assert_eq!(plan.notice_seconds(), Some(60));
}

#[test]
fn sha256_of_known_input() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn stable_ids_by_kind() {
    assert_eq!(scheduled().stable_id(), "scheduled-v4");
    let mut plan = Execution::new(Kind::Plan, at("2025-01-08T12:00:00Z"));
    plan.window_start = Some(at("2025-01-10T12:00:00Z"));
    assert_eq!(plan.stable_id(), "plan-20250110T120000Z");
    plan.version_to = Some(4);
    assert_eq!(plan.stable_id(), "plan-v4");
    let mut comms = Execution::new(Kind::Comms, at("2025-01-10T12:30:00Z"));
    comms.incident = Some("INC-7".into());
    assert_eq!(comms.stable_id(), "comms-INC-7-20250110T123000Z");
    assert_eq!(
        Execution::new(Kind::Audit, at("2025-01-10T12:30:00Z")).stable_id(),
        "audit-20250110T123000Z"
    );
}

#[test]
fn rules_by_kind() {
    assert_eq!(scheduled().check_fields(), Ok(()));

    let mut e = scheduled();
    e.version_to = Some(5);
    e.id = e.stable_id();
    assert_eq!(
        e.check_fields(),
        Err(FieldError::VersionNotIncrement { from: 3, to: 5 })
    );

    let mut e = scheduled();
    e.kind = Kind::Emergency;
    e.id = e.stable_id();
    assert_eq!(
        e.check_fields(),
        Err(FieldError::TooFewResponsible {
            kind: Kind::Emergency,
            needed: 2,
            got: 1
        })
    );
    e.responsible.push("ana".into());
    assert_eq!(
        e.check_fields(),
        Err(FieldError::DuplicateResponsible { name: "ana".into() })
    );
    e.responsible[1] = "Bruno".into();
    assert_eq!(
        e.check_fields(),
        Err(FieldError::MissingIncident {
            kind: Kind::Emergency
        })
    );
    e.incident = Some("INC 7".into());
    assert_eq!(
        e.check_fields(),
        Err(FieldError::InvalidIncident {
            value: "INC 7".into()
        })
    );
    e.incident = Some("INC-7".into());
    assert_eq!(e.check_fields(), Ok(()));

    let mut e = scheduled();
    e.reason = None;
    assert_eq!(
        e.check_fields(),
        Err(FieldError::MissingReason {
            kind: Kind::Scheduled
        })
    );

    let mut e = scheduled();
    e.id = "scheduled-v9".into();
    assert!(matches!(
        e.check_fields(),
        Err(FieldError::IdMismatch { .. })
    ));

    let mut plan = Execution::new(Kind::Plan, at("2025-01-10T12:00:00Z"));
    plan.reason = Some("janela".into());
    plan.responsible = vec!["Ana".into()];
    plan.id = plan.stable_id();
    assert_eq!(plan.check_fields(), Err(FieldError::MissingWindowStart));
    plan.window_start = Some(at("2025-01-10T11:00:00Z"));
    plan.id = plan.stable_id();
    assert!(matches!(
        plan.check_fields(),
        Err(FieldError::WindowNotAfterAnnouncement { .. })
    ));
    plan.window_start = Some(at("2025-01-11T12:00:00Z"));
    plan.id = plan.stable_id();
    assert_eq!(plan.check_fields(), Ok(()));
    assert_eq!(plan.notice_seconds(), Some(86_400));

    let mut audit = Execution::new(Kind::Audit, at("2025-01-10T12:00:00Z"));
    audit.reason = Some("semanal".into());
    audit.responsible = vec!["Ana".into()];
    audit.version_to = Some(2);
    audit.id = audit.stable_id();
    assert_eq!(
        audit.check_fields(),
        Err(FieldError::VersionsNotAllowed { kind: Kind::Audit })
    );

    let mut comms = Execution::new(Kind::Comms, at("2025-01-10T12:00:00Z"));
    comms.incident = Some("INC-7".into());
    comms.id = comms.stable_id();
    assert_eq!(comms.check_fields(), Err(FieldError::MissingMessage));
    comms.message = Some("linha 1\nlinha 2".into());
    assert!(matches!(
        comms.check_fields(),
        Err(FieldError::InvalidText {
            field: "message",
            ..
        })
    ));
}

/// Issue 11: text that renders differently from its bytes is refused like a control character.
#[test]
fn bidi_overrides_and_unicode_separators_are_refused() {
    for hidden in ['\u{202E}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{2029}'] {
        let mut comms = Execution::new(Kind::Comms, at("2025-01-10T12:00:00Z"));
        comms.incident = Some("INC-7".into());
        comms.id = comms.stable_id();
        comms.message = Some(format!("rotação {hidden}concluída"));
        assert!(
            matches!(
                comms.check_fields(),
                Err(FieldError::InvalidText {
                    field: "message",
                    ..
                })
            ),
            "U+{:04X}",
            u32::from(hidden)
        );
        assert!(Link::parse(&format!("C{hidden}I=https://ci.example.com/1")).is_err());
    }
}

#[test]
fn links_are_validated() {
    let ok = Link::parse("CI run=https://ci.example.com/runs/12?attempt=1#log").unwrap();
    assert_eq!(ok.label, "CI run");
    assert_eq!(
        Link::parse("PR=http://[::1]:8080/pr/3").unwrap().url,
        "http://[::1]:8080/pr/3"
    );
    for (spec, reason) in [
        ("no-equals", "expected LABEL=URL"),
        ("=https://x.example", "the label is empty"),
        (
            "CI=ftp://x.example",
            "the URL must start with https:// or http://",
        ),
        (
            "CI=https://user:pw@x.example/",
            "the URL carries credentials (user@ or user:password@); remove them",
        ),
        ("CI=https:///path", "the URL has no valid host name"),
        (
            "CI=https://x.example/a b",
            "the URL contains a space, a non-ASCII character or one of < > \" { } | \\ ^ `; percent-encode it",
        ),
        (
            "CI=https://x.example/%zz",
            "the URL has a `%` not followed by two hex digits",
        ),
        (
            "C]I=https://x.example/",
            "the label contains a control character or one of [ ] < > |",
        ),
    ] {
        match Link::parse(spec) {
            Err(FieldError::InvalidLink { reason: got, .. }) => {
                assert_eq!(got, reason, "{spec}");
            }
            other => panic!("{spec}: {other:?}"),
        }
    }
}

#[test]
fn artifact_paths_stay_inside_the_directory() {
    let dir = Path::new("/evidence");
    let art = |p: &str| Artifact {
        path: p.into(),
        sha256: sha256_hex(b""),
    };
    assert_eq!(
        art("artifacts/x/r.json").resolve(dir),
        Some(PathBuf::from("/evidence/artifacts/x/r.json"))
    );
    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a//b",
        "./a",
        "a\\b",
    ] {
        assert_eq!(art(bad).resolve(dir), None, "{bad}");
    }
}
