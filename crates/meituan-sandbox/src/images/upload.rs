//! Uploaded pictures: the checks `image/uploadNoWater` applies and what a store keeps.

use std::collections::BTreeMap;

use axum::body::Bytes;
use base64::Engine as _;

use super::MAX_UPLOAD_BYTES;

/// The picture formats the upload accepts, by magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Png,
    Jpeg,
}

impl Format {
    fn sniff(bytes: &[u8]) -> Option<Self> {
        const PNG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        if bytes.starts_with(&PNG) {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    /// The extension of served URLs.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }

    /// The `Content-Type` the picture is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }
}

/// One uploaded picture.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub img_name: String,
    pub pic_type: i64,
    pub format: Format,
    pub bytes: Bytes,
    pub uploaded_at_ms: i64,
}

/// A store's uploads by `pic_code`. Each keeps its bytes (up to 2 MiB) for the life of the
/// sandbox.
#[derive(Debug, Default)]
pub(crate) struct Uploads {
    by_code: BTreeMap<String, Upload>,
}

impl Uploads {
    pub fn get(&self, pic_code: &str) -> Option<&Upload> {
        self.by_code.get(pic_code)
    }

    pub fn insert(&mut self, pic_code: String, upload: Upload) {
        self.by_code.insert(pic_code, upload);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Upload)> {
        self.by_code.iter()
    }
}

/// Checks an upload's fields; returns its format and bytes, or why it is refused.
pub(crate) fn check(img_name: &str, img: &str, pic_type: i64) -> Result<(Format, Bytes), String> {
    if !(1..=3).contains(&pic_type) {
        return Err("pic_type must be 1, 2 or 3".into());
    }
    let named = name_format(img_name).ok_or(
        "img_name must be 1 to 64 ASCII letters or digits plus .jpg, .jpeg or .png".to_string(),
    )?;
    if img.is_empty() {
        return Err("img is empty".into());
    }
    let too_large = || format!("img is larger than {MAX_UPLOAD_BYTES} bytes");
    if img.len() > MAX_UPLOAD_BYTES.div_ceil(3) * 4 {
        return Err(too_large());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(img.as_bytes())
        .map_err(|_| "img must be standard base64 with padding".to_string())?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_large());
    }
    let format = Format::sniff(&bytes).ok_or("img is not a PNG or JPEG picture".to_string())?;
    if format != named {
        return Err("img_name's extension does not match the picture's format".into());
    }
    Ok((format, Bytes::from(bytes)))
}

fn name_format(name: &str) -> Option<Format> {
    let (stem, ext) = name.rsplit_once('.')?;
    if !(1..=64).contains(&stem.len()) || !stem.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match ext {
        "png" => Some(Format::Png),
        "jpg" | "jpeg" => Some(Format::Jpeg),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn accepts_small_pngs_and_jpegs_under_matching_names() {
        let png = super::super::png(1).unwrap();
        let (f, bytes) = check("a1.png", &b64(&png), 1).unwrap();
        assert_eq!((f, bytes.len()), (Format::Png, png.len()));
        let jpeg = [0xff, 0xd8, 0xff, 0xe0, 0, 16];
        assert_eq!(check("B2.jpeg", &b64(&jpeg), 3).unwrap().0, Format::Jpeg);
    }

    #[test]
    fn refuses_what_the_platform_would() {
        let png = b64(&super::super::png(1).unwrap());
        let cases = [
            ("a.png", png.as_str(), 4, "pic_type"),
            ("a b.png", &png, 1, "img_name"),
            ("a.gif", &png, 1, "img_name"),
            ("a.jpg", &png, 1, "does not match"),
            ("a.png", "", 1, "empty"),
            ("a.png", "***", 1, "base64"),
            ("a.png", "aGVsbG8=", 1, "not a PNG"),
        ];
        for (name, img, pic_type, why) in cases {
            let e = check(name, img, pic_type).unwrap_err();
            assert!(e.contains(why), "{name}: {e}");
        }
        let mut big = super::super::png(1).unwrap();
        big.resize(MAX_UPLOAD_BYTES + 1, 0);
        assert!(check("a.png", &b64(&big), 1)
            .unwrap_err()
            .contains("larger"));
    }
}
