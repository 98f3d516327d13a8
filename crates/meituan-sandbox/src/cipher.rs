//! The `msg_content` cipher as the protocol document assumes it (\[INF\], §6.4).
//!
//! AES-128-ECB, PKCS#7 padding, standard base64 text, key = the first 16 bytes of `imSecret`
//! (UTF-8). This is the only place the sandbox knows the cipher, so a correction from the live
//! platform is a change to this file alone. Written independently of the client crates.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::{engine::general_purpose::STANDARD, Engine as _};

type Enc = ecb::Encryptor<aes::Aes128>;
type Dec = ecb::Decryptor<aes::Aes128>;

/// Why a `msg_content` could not be decrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    /// `imSecret` is shorter than 16 bytes.
    #[error("imSecret shorter than 16 bytes")]
    ShortSecret,
    /// The text is not standard base64.
    #[error("msg_content is not base64")]
    NotBase64,
    /// Wrong key, wrong length or bad padding.
    #[error("msg_content does not decrypt under the current imSecret")]
    BadCiphertext,
    /// The plaintext is not UTF-8.
    #[error("msg_content plaintext is not UTF-8")]
    NotUtf8,
}

fn key(im_secret: &str) -> Result<[u8; 16], CipherError> {
    let bytes = im_secret.as_bytes();
    let mut key = [0u8; 16];
    key.copy_from_slice(bytes.get(..16).ok_or(CipherError::ShortSecret)?);
    Ok(key)
}

/// Encrypts `plain` under `im_secret`.
pub fn encrypt(im_secret: &str, plain: &str) -> Result<String, CipherError> {
    let key = key(im_secret)?;
    let out = Enc::new(&key.into()).encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes());
    Ok(STANDARD.encode(out))
}

/// Decrypts `text` under `im_secret`.
pub fn decrypt(im_secret: &str, text: &str) -> Result<String, CipherError> {
    let key = key(im_secret)?;
    let raw = STANDARD
        .decode(text.trim())
        .map_err(|_| CipherError::NotBase64)?;
    let plain = Dec::new(&key.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&raw)
        .map_err(|_| CipherError::BadCiphertext)?;
    String::from_utf8(plain).map_err(|_| CipherError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_vector() {
        let c = encrypt("abcdef0123456789ZZZZ", "你好，订单已出餐").unwrap();
        assert_eq!(c, "OKXpdENpyQ8DIRwteLtzeM5ZPeu8CRdjR99aAXN2YLo=");
        assert_eq!(
            decrypt("abcdef0123456789ZZZZ", &c).unwrap(),
            "你好，订单已出餐"
        );
    }

    #[test]
    fn wrong_key_and_garbage_are_errors() {
        let c = encrypt("abcdef0123456789", "hello").unwrap();
        assert!(decrypt("0000000000000000", &c).is_err());
        assert_eq!(
            decrypt("abcdef0123456789", "%%%"),
            Err(CipherError::NotBase64)
        );
        assert_eq!(encrypt("short", "x"), Err(CipherError::ShortSecret));
    }
}
