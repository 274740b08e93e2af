//! `record --kind emergency`'s decisions: the same [`EmergencyRecord`] `xtask rotate
//! --emergency` records, from the same rule ([`EmergencyRecord::decide`]) and the same
//! checklist items ([`EmergencyRecord::items`]), for a team that rotated by hand.
//!
//! What must stay true: nothing is stated that was not given. Every secret of the bundle at
//! `--repo` (`config/secrets.enc.yaml`, read without a key) needs `--replaced`, `--revoked` or
//! `--not-affected`; without a bundle there the names given are the list, and a warning says
//! they were not checked against one. Isolation is stated only by `--isolated`, the
//! communication only by `--comms ID` of a comms entry of the same incident already in the
//! log (checked when recording); otherwise the items say skipped / pending. An item the user
//! gave with `--done`/`--skipped` is kept as given, never overwritten.

use std::path::Path;

use bundle_core::ops::evidence::{
    CheckItem, Decisions, EmergencyRecord, Kind, Proof, bundle_secrets,
};
use bundle_core::ops::mcp::BUNDLE_PATH;
use bundle_core::sops::SopsFile;

use crate::{Error, RecordArgs, RecordRequest};

/// The `comms` item's reason while the communication is pending.
const COMMS_PENDING: &str = "comunicação pendente: nenhuma entrada comms informada (--comms ID)";

/// Fills `request.emergency` and the record's checklist items from the decision flags of
/// `args`; the bundle of `repo` lists the secrets to decide.
pub(crate) fn apply(
    request: &mut RecordRequest,
    args: &RecordArgs,
    repo: &Path,
    notes: &mut Vec<String>,
) -> Result<(), Error> {
    let given =
        |names: &[String]| -> Vec<String> { names.iter().map(|n| n.trim().to_owned()).collect() };
    let replaced = given(&args.replaced);
    let revoked = given(&args.revoked);
    let not_affected = given(&args.not_affected);
    if replaced.is_empty() && revoked.is_empty() && not_affected.is_empty() {
        // Left to `record`, after the kind's own fields: it fails with MissingDecisions.
        return Ok(());
    }
    let bundle = repo.join(BUNDLE_PATH);
    let secrets = if bundle.is_file() {
        bundle_secrets(&SopsFile::read(&bundle)?)
    } else {
        notes.push(format!(
            "no bundle at {}: the decisions were recorded as given, not checked against the bundle's secrets",
            bundle.display()
        ));
        let mut all: Vec<String> = Vec::new();
        for name in revoked.iter().chain(&not_affected) {
            if !all.contains(name) {
                all.push(name.clone());
            }
        }
        all
    };
    let decisions = Decisions {
        replaced: &replaced,
        revoked: &revoked,
        not_affected: &not_affected,
        isolation: args.isolated.as_deref(),
    };
    let mut record =
        EmergencyRecord::decide(&secrets, &decisions).map_err(|error| Error::Decision { error })?;
    record.comms = args.comms.as_ref().map(|c| c.trim().to_owned());
    let comms = match &record.comms {
        Some(id) => CheckItem::done("comms", Proof::Entry { id: id.clone() }),
        None => CheckItem::skipped("comms", COMMS_PENDING),
    };
    for item in record.items().into_iter().chain([comms]) {
        if !request.checklist.iter().any(|i| i.id == item.id) {
            request.checklist.push(item);
        }
    }
    request.emergency = Some(record);
    Ok(())
}

/// The decision flags on a kind other than emergency: refused, never ignored.
pub(crate) fn refuse_flags(args: &RecordArgs, kind: Kind) -> Result<(), Error> {
    let flag = [
        ("replaced", !args.replaced.is_empty()),
        ("revoked", !args.revoked.is_empty()),
        ("not-affected", !args.not_affected.is_empty()),
        ("isolated", args.isolated.is_some()),
        ("comms", args.comms.is_some()),
    ]
    .into_iter()
    .find(|(_, given)| *given);
    match flag {
        Some((flag, _)) => Err(Error::EmergencyFlag { flag, kind }),
        None => Ok(()),
    }
}
