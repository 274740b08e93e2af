//! `ENC[AES256_GCM,...]` values: the data key, parsing, encryption and decryption.
//!
//! sops encrypts each leaf with AES-256-GCM under the file's data key, a fresh 32-byte
//! nonce (GHASH-derived J0, spec §2) and the value's tree path as AAD. The tag is stored
//! apart from the ciphertext. Decryption accepts 12-, 16- and 32-byte nonces.

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::{U12, U16, U32};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;
use zeroize::Zeroizing;

/// The literal every encrypted value starts with.
pub const ENC_PREFIX: &str = "ENC[AES256_GCM,data:";

/// A file's 32-byte AES-256 data key. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl DataKey {
    /// A fresh random key from the OS generator.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// A key from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(array)))
    }

    /// The raw key bytes (to wrap for a recipient).
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Why an `ENC[...]` string could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncError {
    /// Not of the `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` shape.
    Malformed(&'static str),
    /// A field is not valid padded standard base64.
    Base64(&'static str),
    /// The nonce length is not one this implementation supports.
    IvLength(usize),
    /// The tag is not 16 bytes.
    TagLength(usize),
    /// Authentication failed.
    Auth,
}

/// The parts of a parsed `ENC[...]` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncValue<'a> {
    /// Ciphertext without tag.
    pub data: Vec<u8>,
    /// The nonce.
    pub iv: Vec<u8>,
    /// The 16-byte tag.
    pub tag: Vec<u8>,
    /// The `type:` field.
    pub value_type: &'a str,
}

/// Whether a string has the `ENC[AES256_GCM,data:` prefix.
pub fn is_enc(s: &str) -> bool {
    s.starts_with(ENC_PREFIX)
}

/// Parses an `ENC[...]` string. Anchored at the start; text after the closing `]` is
/// ignored, as sops does.
pub fn parse_enc(s: &str) -> Result<EncValue<'_>, EncError> {
    let rest = s
        .strip_prefix(ENC_PREFIX)
        .ok_or(EncError::Malformed("missing ENC[AES256_GCM,data: prefix"))?;
    let (data, rest) = rest
        .split_once(",iv:")
        .ok_or(EncError::Malformed("missing iv field"))?;
    let (iv, rest) = rest
        .split_once(",tag:")
        .ok_or(EncError::Malformed("missing tag field"))?;
    let (tag, rest) = rest
        .split_once(",type:")
        .ok_or(EncError::Malformed("missing type field"))?;
    let end = rest
        .find(']')
        .ok_or(EncError::Malformed("missing closing bracket"))?;
    let value_type = &rest[..end];
    let decode =
        |field: &'static str, text: &str| B64.decode(text).map_err(|_| EncError::Base64(field));
    Ok(EncValue {
        data: decode("data", data)?,
        iv: decode("iv", iv)?,
        tag: decode("tag", tag)?,
        value_type,
    })
}

/// AES-256-GCM with sops' 32-byte nonces under one data key, set up once (key schedule and
/// GHASH key) and reused for every value of a file.
pub struct ValueCipher {
    key: DataKey,
    gcm32: AesGcm<Aes256, U32>,
}

impl std::fmt::Debug for ValueCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValueCipher(<redacted>)")
    }
}

impl ValueCipher {
    /// A cipher for one data key.
    pub fn new(key: &DataKey) -> Self {
        Self {
            key: key.clone(),
            gcm32: AesGcm::<Aes256, U32>::new(GenericArray::from_slice(key.expose())),
        }
    }

    /// Encrypts `plaintext` with AAD `aad` into an `ENC[...]` string. `iv` reuses a nonce
    /// (sops keeps the IV of an unchanged value); `None` draws a fresh 32-byte one.
    pub fn encrypt(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        value_type: &str,
        iv: Option<[u8; 32]>,
    ) -> String {
        let iv = iv.unwrap_or_else(|| {
            let mut iv = [0u8; 32];
            // A CSPRNG seeded from the OS (ChaCha, reseeded periodically): one system call per
            // value would dominate the cost of encrypting a large file.
            rand::thread_rng().fill_bytes(&mut iv);
            iv
        });
        let mut buffer = Zeroizing::new(plaintext.to_vec());
        let tag = self
            .gcm32
            .encrypt_in_place_detached(GenericArray::from_slice(&iv), aad, &mut buffer)
            .expect("AES-GCM encryption only fails for inputs beyond 64 GiB");
        // `buffer` now holds ciphertext; it is still zeroized on drop, which costs nothing.
        format!(
            "{ENC_PREFIX}{},iv:{},tag:{},type:{value_type}]",
            B64.encode(&*buffer),
            B64.encode(iv),
            B64.encode(tag)
        )
    }

    /// Decrypts a parsed value with AAD `aad` (12-, 16- and 32-byte nonces).
    pub fn decrypt(
        &self,
        value: &EncValue<'_>,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, EncError> {
        if value.tag.len() != 16 {
            return Err(EncError::TagLength(value.tag.len()));
        }
        let mut buffer = Zeroizing::new(value.data.clone());
        let tag = GenericArray::from_slice(&value.tag);
        let k = GenericArray::from_slice(self.key.expose());
        let result = match value.iv.len() {
            32 => self.gcm32.decrypt_in_place_detached(
                GenericArray::from_slice(&value.iv),
                aad,
                &mut buffer,
                tag,
            ),
            16 => AesGcm::<Aes256, U16>::new(k).decrypt_in_place_detached(
                GenericArray::from_slice(&value.iv),
                aad,
                &mut buffer,
                tag,
            ),
            12 => AesGcm::<Aes256, U12>::new(k).decrypt_in_place_detached(
                GenericArray::from_slice(&value.iv),
                aad,
                &mut buffer,
                tag,
            ),
            n => return Err(EncError::IvLength(n)),
        };
        result.map_err(|_| EncError::Auth)?;
        Ok(buffer)
    }
}

/// Encrypts one value (sets up a [`ValueCipher`]; use one directly for many values).
pub fn encrypt(
    key: &DataKey,
    plaintext: &[u8],
    aad: &[u8],
    value_type: &str,
    iv: Option<[u8; 32]>,
) -> String {
    ValueCipher::new(key).encrypt(plaintext, aad, value_type, iv)
}

/// Decrypts one parsed value (sets up a [`ValueCipher`]; use one directly for many values).
pub fn decrypt(
    key: &DataKey,
    value: &EncValue<'_>,
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EncError> {
    ValueCipher::new(key).decrypt(value, aad)
}

/// The 32-byte IV of a parsed value, when it has one (for reuse on re-encryption).
pub fn iv32(value: &EncValue<'_>) -> Option<[u8; 32]> {
    value.iv.as_slice().try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = DataKey::generate();
        let enc = encrypt(&key, b"s3cret", b"db:password:", "str", None);
        let parsed = parse_enc(&enc).unwrap();
        assert_eq!(parsed.iv.len(), 32);
        assert_eq!(
            parsed.data.len(),
            6,
            "ciphertext length equals plaintext length"
        );
        assert_eq!(parsed.value_type, "str");
        assert_eq!(
            &**decrypt(&key, &parsed, b"db:password:").unwrap(),
            b"s3cret"
        );
        assert_eq!(decrypt(&key, &parsed, b"db:other:"), Err(EncError::Auth));
        let mut flipped = parsed.clone();
        flipped.data[0] ^= 1;
        assert_eq!(
            decrypt(&key, &flipped, b"db:password:"),
            Err(EncError::Auth)
        );
        assert_eq!(
            decrypt(&DataKey::generate(), &parsed, b"db:password:"),
            Err(EncError::Auth)
        );
    }

    #[test]
    fn same_iv_same_key_same_ciphertext() {
        let key = DataKey::generate();
        let iv = [7u8; 32];
        assert_eq!(
            encrypt(&key, b"v", b"a:", "str", Some(iv)),
            encrypt(&key, b"v", b"a:", "str", Some(iv))
        );
    }

    #[test]
    fn malformed_values() {
        assert_eq!(
            parse_enc("plain"),
            Err(EncError::Malformed("missing ENC[AES256_GCM,data: prefix"))
        );
        assert_eq!(
            parse_enc("ENC[AES256_GCM,data:AA==,tag:AA==,type:str]"),
            Err(EncError::Malformed("missing iv field"))
        );
        assert_eq!(
            parse_enc("ENC[AES256_GCM,data:AA,iv:AA==,tag:AA==,type:str]"),
            Err(EncError::Base64("data"))
        );
        assert_eq!(
            parse_enc("ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str"),
            Err(EncError::Malformed("missing closing bracket"))
        );
        let ok = parse_enc("ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:int]trailing").unwrap();
        assert_eq!(ok.value_type, "int");
    }
}
