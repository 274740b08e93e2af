//! Reading a SOPS file (metadata included) and describing it without a key must never
//! panic; decryption with a fixed data key must fail cleanly on anything forged.
#![no_main]

use std::path::Path;

use bundle_core::Format;
use bundle_core::cipher::DataKey;
use bundle_core::sops::SopsFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let format = if selector % 2 == 0 {
        Format::Yaml
    } else {
        Format::Json
    };
    if let Ok(file) = SopsFile::parse(Path::new("fuzz"), format, input) {
        let _ = file.leaves();
        let _ = file.recipients();
        let key = DataKey::from_slice(&[1u8; 32]).expect("32 bytes");
        let _ = file.decrypt_with_key(key);
    }
});
