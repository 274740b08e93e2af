//! The binary store (spec §8.5): any file as one string leaf `data`.
//!
//! The plaintext is the file's bytes exactly (invalid UTF-8, NUL and CRLF included): valid
//! UTF-8 becomes [`Scalar::Str`], anything else [`Scalar::Bytes`]; both are `type:str` once
//! encrypted. The encrypted form is the JSON store's output, so only the plaintext side
//! lives here.

use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::tree::{Map, MapItem, RawFile, Scalar, Text, Value};

/// Reads raw bytes as a one-leaf tree `{data: <bytes>}`.
pub fn parse_plain(input: &[u8]) -> RawFile {
    let scalar = match std::str::from_utf8(input) {
        Ok(text) => Scalar::Str(Text::from(text)),
        Err(_) => Scalar::Bytes(Zeroizing::new(input.to_vec())),
    };
    let mut branch = Map::new();
    branch.push("data", Value::Scalar(scalar));
    RawFile {
        branches: vec![branch],
        metadata: None,
    }
}

/// Writes the `data` leaf back as raw bytes.
pub fn emit_plain(file: &RawFile) -> Result<Vec<u8>, StoreError> {
    let [branch] = file.branches.as_slice() else {
        return Err(StoreError::new(
            "a binary file must have exactly one document",
        ));
    };
    let data = branch.items.iter().find_map(|item| match item {
        MapItem::Entry(k, v) if k == "data" => Some(v),
        _ => None,
    });
    match data {
        Some(Value::Scalar(Scalar::Str(t))) => Ok(t.as_str().as_bytes().to_vec()),
        Some(Value::Scalar(Scalar::Bytes(b))) => Ok(b.to_vec()),
        Some(_) => Err(StoreError::new(
            "the `data` entry of a binary file is not a string",
        )),
        None => Err(StoreError::new(
            "no binary data found: the tree has no `data` entry",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{self, EmitOptions, json};

    const INPUT: &[u8] = include_bytes!("../../tests/fixtures/binary/binary-basic/input.bin");
    const ENCRYPTED: &[u8] =
        include_bytes!("../../tests/fixtures/binary/binary-basic/encrypted.bin");
    const EXPECTED: &[u8] = include_bytes!("../../tests/fixtures/binary/binary-basic/expected.bin");

    #[test]
    fn raw_bytes_round_trip_exactly() {
        // The vector holds NUL, 0xFF and CRLF: not UTF-8, so it is a Bytes leaf.
        let file = parse_plain(INPUT);
        assert_eq!(file.branches.len(), 1);
        assert!(matches!(
            file.branches[0].get("data"),
            Some(Value::Scalar(Scalar::Bytes(_)))
        ));
        assert_eq!(emit_plain(&file).unwrap(), INPUT);
        assert_eq!(emit_plain(&parse_plain(EXPECTED)).unwrap(), EXPECTED);
        assert_eq!(
            store::emit(crate::Format::Binary, &file, EmitOptions::default()).unwrap(),
            INPUT
        );
    }

    #[test]
    fn utf8_input_is_a_string_leaf() {
        let file = parse_plain("héllo\r\n".as_bytes());
        assert_eq!(
            file.branches[0].get("data").unwrap().as_str(),
            Some("héllo\r\n")
        );
        assert_eq!(emit_plain(&file).unwrap(), "héllo\r\n".as_bytes());
        let empty = parse_plain(b"");
        assert_eq!(empty.branches[0].get("data").unwrap().as_str(), Some(""));
        assert_eq!(emit_plain(&empty).unwrap(), b"");
    }

    #[test]
    fn encrypted_form_is_json_and_round_trips() {
        let file = store::parse(crate::Format::Binary, ENCRYPTED).unwrap();
        assert!(file.metadata.is_some());
        let data = file.branches[0].get("data").unwrap().as_str().unwrap();
        assert!(data.starts_with("ENC[AES256_GCM,data:") && data.ends_with(",type:str]"));
        assert_eq!(
            store::emit(crate::Format::Binary, &file, EmitOptions::default()).unwrap(),
            ENCRYPTED
        );
        assert_eq!(
            json::emit(&file, EmitOptions::default()).unwrap(),
            ENCRYPTED
        );
    }

    #[test]
    fn emit_plain_errors() {
        let mut file = RawFile::default();
        assert!(
            emit_plain(&file)
                .unwrap_err()
                .message
                .contains("exactly one document")
        );
        let mut branch = Map::new();
        branch.push("other", Value::str("x"));
        file.branches.push(branch);
        assert!(
            emit_plain(&file)
                .unwrap_err()
                .message
                .contains("no `data` entry")
        );
        file.branches[0].push("data", Value::Scalar(Scalar::Int(3)));
        assert!(
            emit_plain(&file)
                .unwrap_err()
                .message
                .contains("not a string")
        );
    }

    #[test]
    fn large_input_is_fast() {
        let big = vec![b'x'; 8 << 20];
        let start = std::time::Instant::now();
        assert_eq!(emit_plain(&parse_plain(&big)).unwrap().len(), big.len());
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
