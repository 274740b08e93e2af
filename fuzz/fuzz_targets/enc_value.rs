//! The `ENC[...]` parser and decryption must never panic on any input.
#![no_main]

use bundle_core::cipher::{self, DataKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = cipher::parse_enc(text) {
        let key = DataKey::from_slice(&[7u8; 32]).expect("32 bytes");
        let _ = cipher::decrypt(&key, &value, b"fuzz:");
    }
});
