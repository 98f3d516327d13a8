//! \[INF\] Pictures on the sandbox platform, and the one place that decides how an image
//! message and `blockUser`'s evidence look (open question 5). The API crate's own reading of
//! the same guesses is `meituan_api::image`; this one is written from the document alone.
//!
//! * **Upload** (§5.5): `POST /wmoper/ng/foodop/image/uploadNoWater`, businessId 16 only (no
//!   upload exists on businessId 2: its gateway answers HTTP 404), store token required. `biz`:
//!   `img_name` (ASCII letters and digits, 1 to 64, plus `.jpg`, `.jpeg` or `.png`, lowercase,
//!   matching the content), `img` (standard base64 with padding; 1 byte to
//!   [`MAX_UPLOAD_BYTES`] decoded; PNG or JPEG magic bytes), `pic_type` 1, 2 or 3. Answer
//!   `{"pic_code", "pic_url"}`: `pic_code` is 32 hex characters, `pic_url` is
//!   `{gateway_url}/img/up/{pic_code}.png|jpg`. The bytes are kept per store and served at
//!   that URL.
//! * **Image messages**: `msg_type` 2 whose decrypted `msg_content` is the URL text of a
//!   picture the sandbox knows: one of its own `{gateway_url}/img/{1..4}.png` or the
//!   `pic_url` of any upload. Anything else is refused with `OP_PARAM_INVALID`.
//! * **Evidence**: every `blockUser.voucher_pic_ids` entry must be a `pic_code` the same store
//!   uploaded. businessId-2 stores cannot upload, so they cannot block.

mod generated;
pub(crate) mod upload;

use serde::{Deserialize, Serialize};

pub use generated::png;
pub(crate) use upload::Uploads;

use crate::state::{Store, World};

/// How many pictures the sandbox serves of its own (numbered from 1).
pub const IMAGE_COUNT: u32 = 4;

/// Largest accepted upload, decoded: 2 MiB.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// Path of the upload endpoint (businessId 16).
pub const UPLOAD_PATH: &str = "/wmoper/ng/foodop/image/uploadNoWater";

/// URL of the sandbox's own picture `n`, if it exists.
pub fn image_url(gateway_url: &str, n: u32) -> Option<String> {
    (1..=IMAGE_COUNT)
        .contains(&n)
        .then(|| format!("{gateway_url}/img/{n}.png"))
}

/// URL path (under the gateway) at which an upload is served.
pub(crate) fn upload_path(pic_code: &str, extension: &str) -> String {
    format!("/img/up/{pic_code}.{extension}")
}

/// The picture an image message showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImageRef {
    /// One of the sandbox's own pictures, `/img/{n}.png`.
    Sandbox {
        /// Its number, 1 to [`IMAGE_COUNT`].
        n: u32,
    },
    /// An upload.
    Upload {
        /// The upload's `pic_code`.
        pic_code: String,
        /// The store that uploaded it.
        epoi_id: String,
    },
}

/// The picture a merchant's image `msg_content` (decrypted) shows, or why it is refused.
pub(crate) fn image_message(w: &World, gateway_url: &str, text: &str) -> Result<ImageRef, String> {
    let refused = || {
        "an image msg_content must be the URL of a picture the platform serves \
         (a pic_url from image/uploadNoWater, or /img/{1..4}.png)"
            .to_string()
    };
    let path = text
        .trim()
        .strip_prefix(gateway_url)
        .and_then(|p| p.strip_prefix("/img/"))
        .ok_or_else(refused)?;
    if let Some(file) = path.strip_prefix("up/") {
        let (code, ext) = file.split_once('.').ok_or_else(refused)?;
        return w
            .stores
            .iter()
            .find_map(|s| {
                s.uploads
                    .get(code)
                    .filter(|u| u.format.extension() == ext)
                    .map(|_| ImageRef::Upload {
                        pic_code: code.to_string(),
                        epoi_id: s.epoi_id.clone(),
                    })
            })
            .ok_or_else(refused);
    }
    path.strip_suffix(".png")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=IMAGE_COUNT).contains(n))
        .map(|n| ImageRef::Sandbox { n })
        .ok_or_else(refused)
}

/// Checks `blockUser.voucher_pic_ids`: each must be a `pic_code` `store` uploaded.
pub(crate) fn check_vouchers(store: &Store, ids: &[String]) -> Result<(), String> {
    if ids.iter().all(|id| store.uploads.get(id).is_some()) {
        return Ok(());
    }
    Err(if store.business_id == 2 {
        "voucher_pic_ids must be pic_codes this store uploaded, and businessId 2 has no \
         image upload"
            .to_string()
    } else {
        "voucher_pic_ids must be pic_codes this store uploaded through \
         /wmoper/ng/foodop/image/uploadNoWater"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_picture_urls() {
        assert_eq!(
            image_url("http://h:1", 2).as_deref(),
            Some("http://h:1/img/2.png")
        );
        assert!(image_url("http://h:1", 0).is_none() && image_url("http://h:1", 5).is_none());
        assert_eq!(upload_path("ab", "jpg"), "/img/up/ab.jpg");
    }
}
