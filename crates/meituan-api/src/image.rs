//! \[INF\] Image upload and image messages, in one place (open question 5).
//!
//! The SDK has no IM-specific upload endpoint and none at all for businessId 2 (§5.5). This
//! module holds every guess about pictures, so a correction from the live platform changes
//! only this file:
//!
//! * the upload is `/wmoper/ng/foodop/image/uploadNoWater` ([`UploadImage`], businessId 16
//!   only; on businessId 2 the client refuses locally with a [`crate::ApiError::Validation`]
//!   whose [`unsupported_in`](crate::ApiError::unsupported_in) is `Some(BusinessId::Waimai)`,
//!   reason "no image upload endpoint for businessId 2");
//! * `pic_type` is [`PicType::Poster`] (1): none of the SDK's three kinds (poster, signboard,
//!   safety card) is about chat, and a poster is the generic picture;
//! * an IM image message (`msg_type` 2) carries the upload's `pic_url` as its plain
//!   `msg_content`, encrypted like text ([`image_msg_content`]); a received image message is
//!   read the same way ([`image_url_in`]);
//! * `blockUser.voucher_pic_ids` takes upload `pic_code`s ([`voucher_pic_id`]);
//! * limits chosen by this project, checked before sending: at most [`MAX_IMAGE_BYTES`]
//!   (2 MiB) decoded, PNG or JPEG content (magic bytes), and a file name of ASCII letters and
//!   digits (1 to [`MAX_NAME_STEM`]) plus `.jpg`, `.jpeg` or `.png` matching the content.
//!
//! ```no_run
//! # async fn demo(client: &meituan_api::MeituanClient, store: &meituan_api::StoreKey, png: &[u8])
//! # -> Result<(), meituan_api::ApiError> {
//! use meituan_api::image::{image_msg_content, voucher_pic_id, UploadImage};
//!
//! let uploaded = client.call(store, &UploadImage::from_bytes(png)?).await?;
//! let plain = image_msg_content(&uploaded); // encrypt it, send with MsgType::IMAGE
//! let evidence = voucher_pic_id(&uploaded); // or put it in BlockUser::voucher_pic_ids
//! # let _ = (plain, evidence); Ok(()) }
//! ```

use std::fmt;

use base64::Engine as _;
use meituan_wire::BusinessId;
use serde::{Deserialize, Serialize, Serializer};
use sha1::Digest as _;

use crate::endpoint::Endpoint;
use crate::error::ApiError;

/// Name of the image-upload endpoint (errors, raw calls, the endpoint catalogue).
pub const IMAGE_UPLOAD: &str = "image/uploadNoWater";

/// Largest accepted picture, decoded: 2 MiB (a project limit; the platform's is unknown).
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// Longest accepted file-name stem (before the extension).
pub const MAX_NAME_STEM: usize = 64;

/// The path of the upload in an integration; `None` on businessId 2, which has none.
pub fn image_upload_path(business_id: BusinessId) -> Option<&'static str> {
    match business_id {
        BusinessId::Wmoper => Some("/wmoper/ng/foodop/image/uploadNoWater"),
        BusinessId::Waimai => None,
    }
}

/// Whether stores of this integration can upload pictures (and so send new image messages
/// and block customers with evidence).
pub fn can_upload(business_id: BusinessId) -> bool {
    image_upload_path(business_id).is_some()
}

/// The local refusal for an integration without an upload endpoint.
pub(crate) fn unsupported(business_id: BusinessId) -> ApiError {
    ApiError::unsupported(IMAGE_UPLOAD, "image upload", business_id)
}

/// `pic_type` of an upload (§5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PicType {
    /// `1`: poster; the kind this project uses for chat pictures and evidence.
    #[default]
    Poster,
    /// `2`: signboard.
    Signboard,
    /// `3`: food-safety card.
    SafetyCard,
}

impl Serialize for PicType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(match self {
            Self::Poster => 1,
            Self::Signboard => 2,
            Self::SafetyCard => 3,
        })
    }
}

/// The picture formats accepted, recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// JPEG (`FF D8 FF`).
    Jpeg,
}

impl ImageFormat {
    /// The format of `bytes`, if it is one of the accepted ones.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    /// The format a file name's extension promises (`.png`, `.jpg`, `.jpeg`; lowercase).
    pub fn of_name(name: &str) -> Option<Self> {
        let (stem, ext) = name.rsplit_once('.')?;
        let stem_ok = (1..=MAX_NAME_STEM).contains(&stem.len())
            && stem.bytes().all(|b| b.is_ascii_alphanumeric());
        match ext {
            "png" if stem_ok => Some(Self::Png),
            "jpg" | "jpeg" if stem_ok => Some(Self::Jpeg),
            _ => None,
        }
    }

    /// The file extension used for generated names.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }
}

/// `image/uploadNoWater`: uploads one picture (businessId 16). `img` is standard base64
/// with padding. Build it with [`UploadImage::from_bytes`] or [`UploadImage::named`]; the
/// client checks it again before sending. Repeating an unanswered upload at worst leaves an
/// unused picture on the platform, so it is retried like the idempotent calls.
#[derive(Clone, Serialize)]
pub struct UploadImage {
    /// File name: ASCII letters and digits plus `.jpg`, `.jpeg` or `.png`.
    pub img_name: String,
    /// The picture, base64.
    pub img: String,
    /// Picture kind.
    pub pic_type: PicType,
}

impl fmt::Debug for UploadImage {
    /// The picture itself is customer evidence and large: only its length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadImage")
            .field("img_name", &self.img_name)
            .field("img_base64_len", &self.img.len())
            .field("pic_type", &self.pic_type)
            .finish()
    }
}

impl UploadImage {
    /// An upload of `bytes` named after its content (`img` + 16 hex digits of its SHA-1 +
    /// the extension of its format), as a poster. Refuses what [`Endpoint::validate`] would.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ApiError> {
        let format = check_bytes(bytes)?;
        let digest = hex::encode(sha1::Sha1::digest(bytes));
        let stem = digest.get(..16).unwrap_or(&digest);
        Self::named(format!("img{stem}.{}", format.extension()), bytes)
    }

    /// An upload of `bytes` under `img_name`, as a poster, checked now.
    pub fn named(img_name: impl Into<String>, bytes: &[u8]) -> Result<Self, ApiError> {
        let upload = Self {
            img_name: img_name.into(),
            img: base64::engine::general_purpose::STANDARD.encode(bytes),
            pic_type: PicType::Poster,
        };
        check_name_and_format(&upload.img_name, check_bytes(bytes)?)?;
        Ok(upload)
    }

    /// The picture's bytes, decoded from `img`.
    pub fn decoded(&self) -> Result<Vec<u8>, ApiError> {
        // Reject oversized text before decoding it.
        if self.img.len() > MAX_IMAGE_BYTES.div_ceil(3) * 4 {
            return Err(too_large());
        }
        base64::engine::general_purpose::STANDARD
            .decode(self.img.as_bytes())
            .map_err(|_| ApiError::validation(IMAGE_UPLOAD, "img is not valid base64"))
    }
}

fn too_large() -> ApiError {
    ApiError::validation(
        IMAGE_UPLOAD,
        format!("img is larger than {MAX_IMAGE_BYTES} bytes"),
    )
}

/// The checks an upload applies to the picture itself (non-empty, at most
/// [`MAX_IMAGE_BYTES`], PNG or JPEG by content): its format, or the refusal.
pub fn check_bytes(bytes: &[u8]) -> Result<ImageFormat, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::validation(IMAGE_UPLOAD, "img is empty"));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(too_large());
    }
    ImageFormat::sniff(bytes)
        .ok_or_else(|| ApiError::validation(IMAGE_UPLOAD, "img is not a PNG or JPEG picture"))
}

fn check_name_and_format(name: &str, content: ImageFormat) -> Result<(), ApiError> {
    let named = ImageFormat::of_name(name).ok_or_else(|| {
        ApiError::validation(
            IMAGE_UPLOAD,
            "img_name must be ASCII letters and digits plus .jpg, .jpeg or .png",
        )
    })?;
    if named != content {
        return Err(ApiError::validation(
            IMAGE_UPLOAD,
            "img_name's extension does not match the picture's format",
        ));
    }
    Ok(())
}

impl Endpoint for UploadImage {
    const NAME: &'static str = IMAGE_UPLOAD;
    type Response = UploadedImage;

    /// `/wmoper/ng/foodop/image/uploadNoWater`; businessId 2 has no path (the empty string is
    /// never used: [`Endpoint::validate`] refuses first).
    fn path(business_id: BusinessId) -> String {
        image_upload_path(business_id)
            .unwrap_or_default()
            .to_owned()
    }

    fn validate(&self, business_id: BusinessId) -> Result<(), ApiError> {
        if !can_upload(business_id) {
            return Err(unsupported(business_id));
        }
        let format = check_bytes(&self.decoded()?)?;
        check_name_and_format(&self.img_name, format)
    }
}

/// Response of [`UploadImage`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadedImage {
    /// The picture's id on the platform: what `blockUser.voucher_pic_ids` lists.
    #[serde(deserialize_with = "string_from_scalar")]
    pub pic_code: String,
    /// Where the picture is served: what an image message carries.
    pub pic_url: String,
}

fn string_from_scalar<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    meituan_wire::lenient::opt_string_from_scalar(d)?
        .ok_or_else(|| serde::de::Error::custom("pic_code is missing"))
}

/// \[INF\] The plain (not yet encrypted) `msg_content` of an image message (`msg_type` 2,
/// [`meituan_wire::MsgType::IMAGE`]) showing an uploaded picture: its `pic_url`.
pub fn image_msg_content(uploaded: &UploadedImage) -> String {
    uploaded.pic_url.clone()
}

/// \[INF\] The picture URL an image message's decrypted `msg_content` shows, if it holds one
/// (an http(s) URL, surrounding whitespace ignored).
pub fn image_url_in(msg_content: &str) -> Option<&str> {
    let text = msg_content.trim();
    url::Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .map(|_| text)
}

/// \[INF\] The id to list in `blockUser.voucher_pic_ids` for an uploaded picture: its
/// `pic_code`.
pub fn voucher_pic_id(uploaded: &UploadedImage) -> String {
    uploaded.pic_code.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F'];

    #[test]
    fn names_follow_the_content() {
        let up = UploadImage::from_bytes(JPEG).unwrap();
        assert!(up.img_name.starts_with("img") && up.img_name.ends_with(".jpg"));
        assert_eq!(up.img_name.len(), "img".len() + 16 + ".jpg".len());
        assert_eq!(up.decoded().unwrap(), JPEG);
        assert!(UploadImage::named("a1.jpeg", JPEG).is_ok());
        for bad in [
            "a b.png",
            "图片.png",
            ".png",
            "a.PNG",
            "a.gif",
            "a.jpg",
            "a",
        ] {
            assert!(UploadImage::named(bad, PNG).is_err(), "{bad}");
        }
        assert!(UploadImage::named(format!("{}.png", "a".repeat(65)), PNG).is_err());
    }

    #[test]
    fn content_must_be_a_small_png_or_jpeg() {
        assert!(UploadImage::from_bytes(b"").is_err());
        assert!(UploadImage::from_bytes(b"GIF89a").is_err());
        let mut big = PNG.to_vec();
        big.resize(MAX_IMAGE_BYTES, 0);
        assert!(UploadImage::from_bytes(&big).is_ok(), "exactly the limit");
        big.push(0);
        assert!(UploadImage::from_bytes(&big).is_err());
    }

    #[test]
    fn validate_rechecks_what_was_built_by_hand() {
        let ok = UploadImage::from_bytes(PNG).unwrap();
        assert!(ok.validate(BusinessId::Wmoper).is_ok());
        let err = ok.validate(BusinessId::Waimai).unwrap_err();
        assert_eq!(err.unsupported_in(), Some(BusinessId::Waimai));
        assert!(err
            .to_string()
            .contains("no image upload endpoint for businessId 2"));
        let garbled = UploadImage {
            img: "%%%".into(),
            ..ok.clone()
        };
        assert!(garbled.validate(BusinessId::Wmoper).is_err());
        let text = UploadImage {
            img: base64::engine::general_purpose::STANDARD.encode("hello"),
            ..ok.clone()
        };
        assert!(text.validate(BusinessId::Wmoper).is_err());
        assert!(!format!("{ok:?}").contains(&ok.img));
    }

    #[test]
    fn message_content_and_voucher_come_from_the_upload() {
        let up = UploadedImage {
            pic_code: "pc1".into(),
            pic_url: "https://p0.meituan.net/a.png".into(),
        };
        assert_eq!(image_msg_content(&up), up.pic_url);
        assert_eq!(voucher_pic_id(&up), "pc1");
        assert_eq!(
            image_url_in(" https://p0.meituan.net/a.png "),
            Some(up.pic_url.as_str())
        );
        assert_eq!(image_url_in("你好"), None);
        let numeric: UploadedImage =
            serde_json::from_str(r#"{"pic_code": 123, "pic_url": "http://x/1.png"}"#).unwrap();
        assert_eq!(numeric.pic_code, "123");
    }
}
