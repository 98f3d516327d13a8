//! The one `msg_content` cipher module (architecture rule 3).
//!
//! The platform documents `msg_content` only as "encrypted" with `imSecret` (§6.4). Everything
//! that encrypts or decrypts message content goes through [`MsgCipher`], so that a correction
//! from the live platform is a change to this file alone. The default, [`AesEcbCipher`], is an
//! **\[INF\] assumption**: AES-128-ECB, PKCS#7 padding, base64 text, key = the first 16 bytes of
//! `imSecret` as UTF-8.

use std::fmt;

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

type Aes128EcbEnc = ecb::Encryptor<aes::Aes128>;
type Aes128EcbDec = ecb::Decryptor<aes::Aes128>;

/// Length of an AES-128 key in bytes.
const KEY_LEN: usize = 16;

/// Why content could not be decrypted, or a cipher could not be built. Never carries the
/// content or the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// The `imSecret` has fewer than 16 bytes.
    #[error("imSecret is {len} bytes; the cipher needs at least 16")]
    SecretTooShort {
        /// Length of the secret that was given, in bytes.
        len: usize,
    },
    /// The text is not valid base64.
    #[error("msg_content is not valid base64")]
    Base64,
    /// Length or padding is wrong after decryption (wrong key or not this cipher).
    #[error("msg_content does not decrypt (wrong key, length or padding)")]
    Decrypt,
    /// The decrypted bytes are not UTF-8.
    #[error("decrypted msg_content is not UTF-8")]
    Utf8,
}

/// Encrypts outgoing and decrypts incoming `msg_content`.
pub trait MsgCipher: Send + Sync + fmt::Debug {
    /// Encrypts plain text into the wire form.
    fn encrypt(&self, plain: &str) -> String;
    /// Decrypts the wire form. Callers keep the raw text and flag the message on error.
    fn decrypt(&self, b64: &str) -> Result<String, CipherError>;
}

/// The assumed default cipher \[INF\]: AES-128-ECB, PKCS#7, standard base64.
/// `Debug` does not show the key.
#[derive(Clone)]
pub struct AesEcbCipher {
    // The key schedules, expanded once: expanding them per message was a visible part of
    // decrypting a push.
    enc: Aes128EcbEnc,
    dec: Aes128EcbDec,
}

impl AesEcbCipher {
    /// Builds the cipher from an `imSecret`, using its first 16 UTF-8 bytes as the key.
    pub fn from_im_secret(im_secret: &str) -> Result<Self, CipherError> {
        let bytes = im_secret.as_bytes();
        let key: [u8; KEY_LEN] = bytes
            .get(..KEY_LEN)
            .and_then(|k| k.try_into().ok())
            .ok_or(CipherError::SecretTooShort { len: bytes.len() })?;
        Ok(Self {
            enc: Aes128EcbEnc::new(&key.into()),
            dec: Aes128EcbDec::new(&key.into()),
        })
    }
}

impl fmt::Debug for AesEcbCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesEcbCipher { key: <redacted> }")
    }
}

impl MsgCipher for AesEcbCipher {
    fn encrypt(&self, plain: &str) -> String {
        let sealed = self
            .enc
            .clone()
            .encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes());
        BASE64.encode(sealed)
    }

    fn decrypt(&self, b64: &str) -> Result<String, CipherError> {
        // Decrypted in place: the plain text is the front of the decoded buffer.
        let mut buf = BASE64.decode(b64.trim()).map_err(|_| CipherError::Base64)?;
        let len = self
            .dec
            .clone()
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map_err(|_| CipherError::Decrypt)?
            .len();
        buf.truncate(len);
        String::from_utf8(buf).map_err(|_| CipherError::Utf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "abcdef0123456789ZZZZ";
    const PLAIN: &str = "你好，订单已出餐";
    const SEALED: &str = "OKXpdENpyQ8DIRwteLtzeM5ZPeu8CRdjR99aAXN2YLo=";

    #[test]
    fn matches_the_protocol_vector_both_ways() {
        let cipher = AesEcbCipher::from_im_secret(SECRET).unwrap();
        assert_eq!(cipher.encrypt(PLAIN), SEALED);
        assert_eq!(cipher.decrypt(SEALED).unwrap(), PLAIN);
    }

    #[test]
    fn short_secret_is_an_error_not_a_panic() {
        assert_eq!(
            AesEcbCipher::from_im_secret("short").unwrap_err(),
            CipherError::SecretTooShort { len: 5 }
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let cipher = AesEcbCipher::from_im_secret(SECRET).unwrap();
        assert_eq!(
            cipher.decrypt("not base64!").unwrap_err(),
            CipherError::Base64
        );
        assert_eq!(cipher.decrypt("AAAA").unwrap_err(), CipherError::Decrypt);
        let other = AesEcbCipher::from_im_secret("0000000000000000").unwrap();
        assert!(other.decrypt(SEALED).is_err());
    }

    #[test]
    fn debug_redacts_the_key() {
        let cipher = AesEcbCipher::from_im_secret(SECRET).unwrap();
        assert!(!format!("{cipher:?}").contains("abcdef"));
    }
}
